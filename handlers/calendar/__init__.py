"""A crew's calendar: its meetings as an iCalendar feed people subscribe to."""
