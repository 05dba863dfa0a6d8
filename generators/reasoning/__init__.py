"""Math / code / logic SFT with multiple verified responses per query (`job.run`)."""
