"""How the services run and are observed: Prometheus metrics, lag, process tuning.

Every metric is created on a registry handed in by the caller (:mod:`.metrics`,
:mod:`.tally`, :mod:`.lag`); :mod:`.process` tunes a service process's garbage
collector (the worker's and the gateway's, never an agency's program).
"""
