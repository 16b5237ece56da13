"""HTTP routes. They hold no business logic: they ask the Hub and shape responses."""
