"""Synthetic trafficking ecosystems with exact ground truth, and graded training exercises
(resolution clause 2(c); the data every demo, test and benchmark uses).

    from tipnet.simulate import ScenarioParams
    from tipnet.simulate.generate import generate  # loads NumPy, Pillow, PDQ

    generate(ScenarioParams(seed=7, scale=100_000), Path("scenario"))

A scenario directory holds, as JSONL (one JSON object per line) or Parquet, the same fields
either way:

- ``ads``: item_id, kind, time, platform, url, category (escort, massage, services,
  community), country (ISO 3166 alpha-3), city, language, title, text, poster (account), phone
  (the site's contact field, if filled), email, images, image_pdq.
- ``job_offers``: item_id, kind, time, platform, url, country, city, language, title, text,
  company, sector, job_country, job_city, salary, currency, period, contact_phone,
  contact_email, contact_apps, poster, images, image_pdq.
- ``profiles``: item_id, kind, time (created), platform, url, handle, display_name, country,
  city, language, bio, followers, following, posts, verified, external_url, images, image_pdq.
- ``messages``: item_id, kind, time, platform, sender, sender_profile (a profile item id or
  null), recipient, conversation, country, language, text, images, image_pdq.
- ``reports``: report bodies in the report API's intake format
  (:class:`tipnet.reports.schemas.ReportCreate`); ``tipnet reports ingest`` loads them. In
  Parquet: report_id, incident_type, incident_time, platform, jurisdiction, body (the JSON).
- ``images``: image_id, pdq (hex, 256 bits), pdq_quality, sha256, md5, width, height,
  media_type, file (``images/<id>.jpg`` when image files were written, else null).

and the truth, which the items never reveal (ids are numbered in time order):

- ``truth.json``: parameters, counts, every network (form of exploitation, origin,
  destinations, countries, transnational, first and last seen, route of stops, sectors, fake
  company, burner phones and accounts over time, victims by sex and age, its items and the
  reports about them, its fraudulent profiles), the benign hard-negative groups, the shared
  numbers (helplines, switchboards) and all fraudulent profiles.
- ``truth_items``: per item and report: item_id, kind, subject (the item a report is about),
  group (the poster: a network id or a benign poster's id), network (or null), trafficking,
  phones (E.164 of the numbers it shows), obfuscated, obfuscation (style), indicators.
- ``truth_images``: image_id, source (the original's image id, null if the original was never
  posted), source_pdq, owner, edits, match (original, plain, dihedral or none: how PDQ at
  distance 31 finds the original), distance.
- ``scenario.json``: parameters, format, counts and file list.

Modules: :mod:`params` (knobs), :mod:`glotip` and :mod:`world` (real proportions and places),
:mod:`actors` and :mod:`plan` (who posts what, when), :mod:`style`, :mod:`text`, :mod:`rates`,
:mod:`phones`, :mod:`names` (how they write), :mod:`images` and :mod:`pdq` (pictures),
:mod:`items` and :mod:`reports` (the records), :mod:`output`, :mod:`truth`, :mod:`generate`
(the run), :mod:`exercise`, :mod:`grading` and :mod:`metrics` (training).
"""

from __future__ import annotations

from tipnet.simulate.params import InvalidScenario, ScenarioParams

__all__ = ["InvalidScenario", "ScenarioParams"]
