"""The settlement ledger: drafts, finals, voids, payments, adjustments and costs.

    HOME/ledger/
      events.jsonl              append-only log of every action, and every refused one
      PERIOD/draft.json         the latest draft (recomputed at will)
      PERIOD/final-rN.json      revision N, sealed; read-only, never rewritten
      PERIOD/void-rN.json       revision N was voided (the final stays beside it)
      PERIOD/exported-rN.json   revision N's payment batch, exported once
      PERIOD/exported-rN-bK.json a later batch K: held lines released since (holds.py)
      PERIOD/hold-rN-ID.json    a reviewer's release or confirmation of a held line
      PERIOD/confirmed-rN.json  the bank's confirmation of each line of that batch
      PERIOD/paid-rN.json       revision N was paid (a payment batch reference)
      locks/PERIOD.lock         the period's lock (flock), held by whoever changes it
      adjustments/ID.json       a correction carried by a later period
      costs/PERIOD.json         production and distribution costs per producer

Only this package writes there. A final keeps its basis (basis.py) and is created
exclusively and fsynced (durable.py), under the period's lock (locks.py). A period with a
final that is not voided is closed: any command that would change it is refused, and the
refusal is logged.
"""
