"""Interviews and field visits (issue #12 item 5, policy 004): offered slots, the
beneficiary's choice, reminders, and the outcome recorded against the profile's criteria."""
