"""Get-to-know-you rounds: members who opt in meet in twos and threes before they
commit to a crew, as the practice's "a few dates before committing"."""
