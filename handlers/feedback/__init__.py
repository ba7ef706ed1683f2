"""Feedback from people who know you: `!feedback ask` in a crew asks each crewmate, in
a direct room, the practice's question; each answer (`!feedback give`) goes to the
asker alone, marked as from whom unless the giver chooses to stay anonymous. Answers
are passed on, not kept."""
