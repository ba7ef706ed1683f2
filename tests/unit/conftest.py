from tests.unit.world import world

__all__ = ["world"]
