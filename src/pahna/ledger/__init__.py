"""The settlement ledger: drafts, finals, voids, payments, adjustments and costs.

    HOME/ledger/
      events.jsonl              append-only log of every action, and every refused one
      PERIOD/draft.json         the latest draft (recomputed at will)
      PERIOD/final-rN.json      revision N, sealed; read-only, never rewritten
      PERIOD/void-rN.json       revision N was voided (the final stays beside it)
      PERIOD/paid-rN.json       revision N was paid (a payment batch reference)
      adjustments/ID.json       a correction carried by a later period
      costs/PERIOD.json         production and distribution costs per producer

Only this package writes there. A period with a final that is not voided is closed: any
command that would change it is refused, and the refusal is logged.
"""
