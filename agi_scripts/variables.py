"""Every channel variable the dialplan and the handlers share, named once.

tests/test_dialplan_variables.py checks that the dialplan uses no HOTLINE_* name that is
not listed here, and that each one listed here is used by the dialplan.
"""

MODE = "HOTLINE_MODE"  # open | closed, set by `incoming` (default open if Python is down)
ORDER = "HOTLINE_ORDER"  # the work-order number, for the seat's screen
FILE = "HOTLINE_FILE"  # YYYY/MM/DD/<uniqueid>: base name of this call's recording/message
TYPE = "HOTLINE_TYPE"  # 1–6 (R3), default 6
KEY = "HOTLINE_KEY"  # the digit read by the menu
MENU_ATTEMPT = "HOTLINE_MENU_ATTEMPT"
MENU_PROMPT = "HOTLINE_MENU_PROMPT"  # what the menu plays: welcome&menu, then invalid&menu
MENU = "HOTLINE_MENU"  # chosen | retry | defaulted
QUEUE = "HOTLINE_QUEUE"  # the queue for the type
CALLBACK = "HOTLINE_CALLBACK"  # ok | invalid
CALLBACK_NUMBER = "HOTLINE_CALLBACK_NUMBER"
CHOICE = "HOTLINE_CHOICE"  # after the overflow: 1 callback, 2 message
IN_MESSAGE = "HOTLINE_IN_MESSAGE"  # 1 while the caller is recording a message
AGI_STATUS = "HOTLINE_AGI_STATUS"  # FAILED: a handler raised or the request was refused
# globals rendered from settings
AGI = "HOTLINE_AGI"
SOUNDS = "HOTLINE_SOUNDS"
RECORDINGS = "HOTLINE_RECORDINGS"
ANSWER_TARGET = "HOTLINE_ANSWER_TARGET"
OVERFLOW_RING = "HOTLINE_OVERFLOW_RING"
MESSAGE_MAX = "HOTLINE_MESSAGE_MAX"
# the far end of `hotline call`
CALLER_KEYS = "HOTLINE_CALLER_KEYS"
CALLER_DELAY = "HOTLINE_CALLER_DELAY"
CALLER_STAY = "HOTLINE_CALLER_STAY"
CALLER_SAY = "HOTLINE_CALLER_SAY"  # a sound file the far end plays after the keys
CALLER_TONE = "HOTLINE_CALLER_TONE"  # a steady tone (Hz) the far end plays: an audio check
CALLER_LISTEN = "HOTLINE_CALLER_LISTEN"  # where it keeps what it hears, a second a file
SLICE = "HOTLINE_SLICE"  # which second of that
VHOLD_POSITION = "HOTLINE_VHOLD_POSITION"  # where a callback's placeholder enters its queue
VHOLD_WAIT = "HOTLINE_VHOLD_WAIT"  # how long it waits there before it is put in again
VHOLD_ANNOUNCE = "HOTLINE_VHOLD_ANNOUNCE"  # what the seat that takes it hears first
VHOLD_SAY = "HOTLINE_VHOLD_SAY"  # the digits read out in it ("o": the order's come next)
CONSULT = "HOTLINE_CONSULT"  # the judge's number a seat's consultation call dials
ALLOWED = "HOTLINE_ALLOWED"  # a number to dial out matches dial_allow (hotline-out)

ALL = frozenset(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str))
