"""Attribution: who served each byte (longest-prefix match over effective-dated claims)."""
