"""Daily roll-ups of the event log, shared by a site (its long-period reports) and the central server
(rankings, a site's summary): per site × business day × field × counter × clerk, counts, waiting- and
service-time histograms in fixed buckets, and ratings by score and by reason. See docs/rollups.md."""
