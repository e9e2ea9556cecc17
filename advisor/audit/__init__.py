"""`advisor audit`: the meetings people already have, each series decided by the rules of `check`.

`reading` finds the live series in calendars, a share of them per worker; `deciding` decides
one series and recommends what to do with it; `runner` runs both on this machine's cores or
on a Dask cluster and adds the results up (`advisor.core.audit`).
"""
