"""Scraper implementations, one module per catalogue source (see shared.scrapers.registry)."""
