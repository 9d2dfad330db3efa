"""What readers get: pages, feeds, search, rendering and the caches in front of them."""
