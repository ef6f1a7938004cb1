"""Moved to plugin.metrics (the panel's cache counts there without importing the admin package); kept so
existing imports keep working."""

from plugin.metrics import CacheStats, cache_stats, record_cache_lookup, reset_metrics

__all__ = ["CacheStats", "cache_stats", "record_cache_lookup", "reset_metrics"]
