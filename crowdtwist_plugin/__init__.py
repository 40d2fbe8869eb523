"""Oracle CrowdTwist integration for privacy-automation hosts."""
