"""Turning results into text: a rich table, JSON (exact integers), CSV or Markdown.

One module per result type (``report``, ``comparison``, ``validation``, ``figures``); ``common``
holds the formats, the console and the CSV / Markdown grid they share.
"""
