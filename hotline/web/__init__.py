"""The hotline's web pages: the judge's feedback page (R7) and Twilio's status callback
(R5). Starlette served by uvicorn on 127.0.0.1, inside `hotline serve`."""
