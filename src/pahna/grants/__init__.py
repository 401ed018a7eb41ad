"""The grant board: provincial IT projects given to private firms and student start-ups as
non-refundable grants (بلاعوض), every step dated, authored, kept and published as open
contracting data (OCDS 1.1.5).

    config.py     [grants] settings: ocid prefix, publisher, upload limit, flag thresholds
    models.py     what each record of the process holds (programme ... payment)
    history.py    the append-only, hash-chained revisions every record lives in, `verify`
    board.py      reading the board: the state of every record as of now (or any revision)
    process.py    the steps: open a programme and a call, apply, review, award, agree,
                  report, pay, close; each checks the process's rules
    applicants.py firms and student teams registered from CSV
    callfile.py   a call (and its programme) described in TOML
    ranking.py    weighted scores, recusals and the zone bonus
    documents.py  uploads: size limit, type by content, stored by hash outside served folders
    ocds/         releases, records and packages; the vendored schema and offline validation
    flags.py      red flags
    giving.py     the 360Giving-style CSV of awards
    payments.py   accepted milestones' tranches handed to the ledger's payment batches
    demo.py       a realistic Qom round for `pahna grants demo`
"""
