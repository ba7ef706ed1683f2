"""The practice pathway: `!pathway` tells a person, and only them, what cohost knows of
their way through the practice — crews called and joined, meetings hosted, cycles
completed, retrospectives answered, congregation and network hosting."""
