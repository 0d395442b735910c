"""The work-order domain (工单): types, handling rules, the court calendar, deadlines.

No Asterisk, HTTP or SMS code lives here: those adapters call into this package.
"""
