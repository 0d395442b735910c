"""The hotline's web pages: the staff's pages, the judge's feedback page (R7) and the SMS
providers' callbacks (R5). Starlette served by uvicorn on 127.0.0.1, inside `hotline serve`.

Ids in paths are written ``{id:id}``: 1 to 18 digits, so a number past what the database
holds is a 404 like any unknown id, not an overflow in the driver.
"""

from starlette.convertors import IntegerConvertor, register_url_convertor

MAX_ID_DIGITS = 18  # the longest id a 64-bit integer column is sure to hold


class IdConvertor(IntegerConvertor):
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"


register_url_convertor("id", IdConvertor())
