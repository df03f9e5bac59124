"""Linking: reports, ads and profiles joined into networks by what they share (near-duplicate text,
reused images, selectors). :mod:`tipnet.link.pdq_index` finds reused images (exact PDQ Hamming
search); :mod:`tipnet.link.hashlists` reads and writes PDQ hash lists."""
