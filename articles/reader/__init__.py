"""What readers see: story pages, hubs, listings, search, feeds, sitemaps, editor preview."""
