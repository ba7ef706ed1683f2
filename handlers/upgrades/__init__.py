"""Rooms followed when their founders upgrade them."""
