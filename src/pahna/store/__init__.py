"""The raw store: immutable Parquet files of flows, committed by manifests."""
