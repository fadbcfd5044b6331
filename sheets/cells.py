"""One spreadsheet cell as the text a person sees in it: what every reader hands on, in the worker process
(sheets/worker.py) or in the web process (CSV). Imports nothing beyond the standard library: the worker
loads it before its limits are set."""
from datetime import date, datetime, time, timedelta


def cell_text(value):
    """One cell as the text a person sees in it; numbers Excel would have rounded stay recognisable."""
    if isinstance(value, str):
        # A leading apostrophe is Excel's "keep as text" prefix (CertDesk's export writes it before = + - @).
        return value[1:] if value.startswith("'") else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return format(value, ".15g")
        if abs(value) >= 10 ** 15:
            # Excel keeps 15 significant digits: show the number as Excel does, so the ID check refuses it.
            mantissa, exponent = f"{float(value):.14E}".split("E")
            return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def stripped_text(value):
    """cell_text without surrounding spaces: how a reader hands a cell on. A plain string, nearly every cell,
    takes the short way."""
    if value.__class__ is str and not value.startswith("'"):
        return value.strip()
    return cell_text(value).strip()
