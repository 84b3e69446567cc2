"""veille's spiders: one, `news`, crawls every configured source."""
