"""Detection: explainable risk scores for reports, texts and accounts.

- :mod:`tipnet.detect.catalogue` and :mod:`tipnet.detect.matcher`: the indicator catalogue
  (warning signs with their evidence) and the matcher that finds them in text, with spans;
- :mod:`tipnet.detect.accounts`, :mod:`tipnet.detect.training`, :mod:`tipnet.detect.evaluation`:
  fake-account models trained on real labelled data, and how they are measured;
- :mod:`tipnet.detect.scoring`: the pure functions everything else calls
  (:func:`~tipnet.detect.scoring.score_report` at intake, ``score_record`` in batches).

Nothing here loads a model or the catalogue at import time; both are read once per process on
first use.
"""
