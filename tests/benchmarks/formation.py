"""Crew formation on Synapse's default rate limits: thirty members each call a crew at
once. Three runs in the same hour: cohost as a plain user with the limits out of the
way (the baseline), as a plain user on the default limits, and in appservice mode on
the default limits. Prints each run's time and its ratio to the baseline; a run that
is still going at the cap prints how many crews were ready by then."""

from __future__ import annotations

import tempfile
from pathlib import Path

from service.admin.devserver import RELAXED, Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.formation import Formation, appservice_cohost, crew_formation


class Results(dict[str, Formation]):
    """Each run printed as it ends, with its ratio to the first (the baseline)."""

    def __init__(self, crews: int) -> None:
        super().__init__()
        self.crews = crews

    def __setitem__(self, name: str, run: Formation) -> None:
        super().__setitem__(name, run)
        base = next(iter(self.values())).seconds
        done = f"{run.ready} of {self.crews} ready"
        ratio = run.seconds / base
        print(f"  {name:27s} {run.seconds:7.1f} s  {done:16s} ratio {ratio:.2f}", flush=True)


async def bench_formation(crews: int, cap: float) -> None:
    print(f"crew formation: {crews} crews called at once (cap {cap:.0f} s)", flush=True)
    results = Results(crews)
    with tempfile.TemporaryDirectory(prefix="cohost-bench-") as tmp:
        root = Path(tmp)
        for name, limits in (("plain, limits relaxed", RELAXED), ("plain, default limits", None)):
            hs = Homeserver(root / name.replace(" ", "_").replace(",", ""), ratelimits=limits)
            hs.start()
            bot = CohostProcess(hs, "cohost", hs.dir / "cohost")
            try:
                bot.start()
                results[name] = await crew_formation(hs, bot, crews, cap)
            finally:
                bot.kill()
                hs.stop()
        hs, config = appservice_cohost(root / "appservice")
        hs.start()
        bot = CohostProcess.configured(config, root / "appservice" / "bot")
        try:
            bot.start()
            results["appservice, default limits"] = await crew_formation(hs, bot, crews, cap)
        finally:
            bot.kill()
            hs.stop()
    print(
        "  Synapse's defaults let a user make 10 rooms, then one a minute, and send 10 "
        "events, then one every 5 s: the plain user waits on them; the appservice is not "
        "rate-limited."
    )
