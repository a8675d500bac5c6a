"""A port of the parts of PVE::JSONSchema (pve-common src/PVE/JSONSchema.pm)
that check API parameters: check_prop/check_object/check_type,
check_format, parse_property_string and print_property_string.

The error texts, and the order of the checks, are the real ones, because
clients show them to users and tests match on them. Values reaching these
functions are what the HTTP layer decoded: str, None (a key without '='),
or a list (a key given twice).
"""

import re

from . import formats


class PveException(Exception):
    """PVE::Exception: a message plus optional per-field errors. str() is
    PVE::Exception::stringify (message, then "field: error" lines), which
    is what ends up in an outer "invalid format - ..." text."""

    def __init__(self, msg, errors=None):
        super().__init__(msg)
        self.msg = msg
        self.errors = errors or {}

    def __str__(self):
        text = self.msg if self.msg.endswith("\n") else self.msg + "\n"
        for key, err in self.errors.items():
            text += f"{key}: {err}\n"
        return text


# --- small helpers from JSONSchema.pm / ParseUtils.pm -------------------------

_INTEGER_RE = re.compile(r"[+-]?\d+")
_NUMBER_RE = re.compile(r"[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?")


def is_integer(value):
    return isinstance(value, str) and _INTEGER_RE.fullmatch(value) is not None or isinstance(value, int)


def is_number(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _NUMBER_RE.fullmatch(value) is not None


def parse_boolean(text):
    """'1|on|yes|true' -> 1, '0|off|no|false' -> 0, else None."""
    t = str(text).lower()
    if t in ("1", "on", "yes", "true"):
        return 1
    if t in ("0", "off", "no", "false"):
        return 0
    return None


def split_list(text):
    """PVE::Tools::split_list: NUL separated, else ',', ';' or blanks."""
    text = text or ""
    if "\0" in text:
        return text.split("\0")
    text = re.sub(r"[,;]", " ", text).strip()
    return text.split() if text else []


_SIZE_RE = re.compile(r"(\d+(\.\d+)?)([KMGT](?:iB)?)?")
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(value):
    """'8G', '512M', '1.5T', '4096' -> bytes (int), or None."""
    m = _SIZE_RE.fullmatch(str(value))
    if not m:
        return None
    size = float(m.group(1))
    if m.group(3):
        size *= _UNITS[m.group(3)[0]]
    return int(size)


def format_size(size):
    """Bytes -> the shortest exact unit, as Proxmox writes sizes ('8G')."""
    size = int(size)
    kb, rest = divmod(size, 1024)
    if rest:
        return str(size)
    mb, rest = divmod(kb, 1024)
    if rest:
        return f"{kb}K"
    gb, rest = divmod(mb, 1024)
    if rest:
        return f"{mb}M"
    tb, rest = divmod(gb, 1024)
    if rest:
        return f"{gb}G"
    return f"{tb}T"


def perl_regex(pattern):
    """The schema holds some patterns as Perl stringified qr// ('(?^:...)')."""
    return re.sub(r"\(\?\^([a-z]*):", lambda m: "(?%s:" % m.group(1) if m.group(1) else "(?:", pattern)


_regex_cache = {}


def _fullmatch(pattern, value):
    rx = _regex_cache.get(pattern)
    if rx is None:
        try:
            rx = re.compile(perl_regex(pattern), re.S)
        except re.error:
            rx = False  # a pattern Python cannot read: not checked
        _regex_cache[pattern] = rx
    return True if rx is False else rx.fullmatch(str(value)) is not None


def _num_text(v):
    """A schema bound as Perl prints it (the schema has some as strings)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _perl_true(v):
    return v is not None and v != "" and v != "0" and v != 0


# --- the checks ---------------------------------------------------------------


def add_error(errors, path, msg):
    path = path or "_root"
    if path in errors:
        # JSONSchema.pm joins with a literal backslash-n (single quotes)
        errors[path] = errors[path] + "\\n" + msg
    else:
        errors[path] = msg


def check_type(path, typ, value, errors):
    if not typ or typ == "any":
        return True
    if isinstance(value, list):
        if typ == "array":
            return True
        add_error(errors, path, f"type check ('{typ}') failed - got ARRAY")
        return False
    if isinstance(value, dict):
        if typ == "object":
            return True
        add_error(errors, path, f"type check ('{typ}') failed - got HASH")
        return False
    if typ in ("array", "object"):
        add_error(errors, path, f"type check ('{typ}') failed")
        return False
    if typ == "null":
        add_error(errors, path, f"type check ('{typ}') failed - value is not null")
        return False
    text = str(value)
    if typ == "boolean":
        # only the literal 0 and 1: API parameters are not parse_boolean'd
        if text in ("0", "1"):
            return True
    elif typ == "integer":
        if is_integer(text):
            return True
    elif typ == "number":
        if is_number(text):
            return True
    else:
        return True
    add_error(errors, path, f"type check ('{typ}') failed - got '{text}'")
    return False


def check_format(fmt, value, path, context=None):
    """Raises FormatError/PveException as the real check_format dies."""
    if isinstance(fmt, dict):
        return parse_property_string(fmt, value, path)
    if fmt == "regex":
        return value
    m = re.fullmatch(r"(.*?)(?:-(list|opt))?", fmt)
    name, kind = m.group(1), m.group(2)
    registered = formats.lookup(name, context)
    if registered is None:
        # A named format this simulator does not know: accepted (README).
        return value
    if kind == "list":
        return [_apply_format(registered, v, path, context) for v in split_list(value)]
    if kind == "opt":
        return _apply_format(registered, value, path, context) if value else None
    return _apply_format(registered, value, path, context)


def _apply_format(registered, value, path, context):
    if isinstance(registered, dict):
        return parse_property_string(registered, value, path, context=context)
    return registered(value)


def check_prop(value, schema, path, errors, context=None):
    if not isinstance(schema, dict):
        add_error(errors, path, "Invalid schema definition.")
        return
    if schema.get("alias"):
        return  # aliases are remapped to their target before this
    if value is None:
        if schema.get("type") == "null":
            return
        if not schema.get("optional") and not schema.get("group"):
            add_error(errors, path, "property is missing and it is not optional")
        return
    if not check_type(path, schema.get("type"), value, errors):
        return
    if isinstance(value, (list, dict)):
        return
    fmt = schema.get("format")
    if fmt:
        try:
            check_format(fmt, value, path, context)
        except (formats.FormatError, PveException) as e:
            add_error(errors, path, "invalid format - " + str(e))
            return
    pattern = schema.get("pattern")
    if pattern and not _fullmatch(pattern, value):
        add_error(errors, path, "value does not match the regex pattern")
        return
    text = str(value)
    if schema.get("maxLength") is not None and len(text) > int(schema["maxLength"]):
        add_error(errors, path, f"value may only be {schema['maxLength']} characters long")
        return
    if schema.get("minLength") is not None and len(text) < int(schema["minLength"]):
        add_error(errors, path, f"value must be at least {schema['minLength']} characters long")
        return
    if is_number(text):
        num = float(text)
        if schema.get("maximum") is not None and num > float(schema["maximum"]):
            add_error(errors, path, f"value must have a maximum value of {_num_text(schema['maximum'])}")
            return
        if schema.get("minimum") is not None and num < float(schema["minimum"]):
            add_error(errors, path, f"value must have a minimum value of {_num_text(schema['minimum'])}")
            return
    enum = schema.get("enum")
    if enum is not None and text not in [str(e) for e in enum]:
        add_error(errors, path, f"value '{text}' does not have a value in the enumeration '{', '.join(str(e) for e in enum)}'")


def check_object(path, schema, value, additional_properties, errors, context=None):
    """schema: {key: subschema}. additional_properties: 0/None/False forbids."""
    # remap aliased keys so the checks below see canonical names
    for k in list(value.keys()):
        sub = schema.get(k)
        if not sub or not sub.get("alias"):
            continue
        alias = sub["alias"]
        if value.get(alias) is not None:
            add_error(errors, f"{path}.{k}" if path else k, f"cannot set both '{k}' and its alias target '{alias}'")
        else:
            value[alias] = value.pop(k)
    for k, sub in schema.items():
        check_prop(value.get(k), sub, f"{path}.{k}" if path else k, errors, context)
    for k in list(value.keys()):
        newpath = f"{path}.{k}" if path else k
        sub = schema.get(k)
        if sub is not None:
            requires = sub.get("requires")
            if isinstance(requires, str) and value.get(requires) is None:
                add_error(errors, f"{path}.{requires}" if path else requires, f"missing property required by '{newpath}'")
            continue
        if not additional_properties:
            add_error(errors, newpath, "property is not defined in schema and the schema does not allow additional properties")


# --- property strings ---------------------------------------------------------


def parse_property_string(fmt, data, path, context=None):
    """'name=eth0,bridge=vmbr0' -> {'name': 'eth0', 'bridge': 'vmbr0'}, checked
    against the format object; raises like the Perl original."""
    default_key = None
    res = {}
    for part in str(data).split(","):
        if re.fullmatch(r"\s*", part):
            continue
        m = re.fullmatch(r"([^=]+)=(.+)", part, re.S)
        if m:
            k, v = m.group(1), m.group(2)
            if k in res:
                raise formats.FormatError(f"duplicate key in comma-separated list property: {k}\n")
            sub = fmt.get(k)
            if sub and sub.get("alias"):
                key_alias = sub.get("keyAlias")
                if key_alias:
                    if key_alias in res:
                        raise formats.FormatError(f"key alias '{key_alias}' is already defined\n")
                    res[key_alias] = k
                k = sub["alias"]
                sub = fmt.get(k)
                if k in res:
                    raise formats.FormatError(f"key '{k}' is already defined (via alias)\n")
            if not sub:
                raise formats.FormatError(f"invalid key in comma-separated list property: {k}\n")
            if sub.get("type") == "boolean":
                b = parse_boolean(v)
                v = v if b is None else str(b)
            res[k] = v
        elif "=" not in part:
            if default_key:
                raise formats.FormatError(f"duplicate key in comma-separated list property: {default_key}\n")
            for key, sub in fmt.items():
                if sub.get("default_key"):
                    default_key = key
                    if not _perl_true(res.get(key)):
                        if sub.get("type") == "boolean":
                            b = parse_boolean(part)
                            part = part if b is None else str(b)
                        res[key] = part
                        break
                    raise formats.FormatError(f"duplicate key in comma-separated list property: {default_key}\n")
            if not default_key:
                raise formats.FormatError("value without key, but schema does not define a default key\n")
        else:
            raise formats.FormatError("missing key in comma-separated list property\n")
    errors = {}
    check_object(path, fmt, res, 0, errors, context)
    if errors:
        raise PveException("format error\n", errors)
    return res


def _default_key_and_key_aliases(fmt):
    default_key = None
    key_alias_props = {}
    for key, sub in fmt.items():
        if sub.get("default_key"):
            default_key = key
        if sub.get("alias") and sub.get("keyAlias"):
            key_alias_props[sub["keyAlias"]] = sub["alias"]
    return default_key, key_alias_props


def print_property_string(data, fmt):
    """The inverse of parse_property_string, in the order Proxmox writes:
    the default key first (combined with a key alias, e.g. 'virtio=MAC'),
    then the required keys, then the rest, each group sorted."""
    default_key, key_alias_props = _default_key_and_key_aliases(fmt)
    out = []
    done = set()

    def value_text(key, value, sub_format):
        if sub_format == "disk-size":
            return format_size(parse_size(value) if isinstance(value, str) else value)
        return str(value)

    def add(key, is_default=False):
        if key in done:
            return
        done.add(key)
        value = data.get(key)
        if value is None:
            return
        sub = fmt.get(key) or {}
        combine = key_alias_props.get(key)
        if combine and data.get(combine) is not None:
            out.append(f"{value_text(key, value, sub.get('format'))}={value_text(combine, data[combine], (fmt.get(combine) or {}).get('format'))}")
            done.add(combine)
            return
        text = value_text(key, value, sub.get("format"))
        out.append(text if is_default else f"{key}={text}")

    if default_key:
        add(default_key, True)
    for key in sorted(data):
        if key in fmt and not fmt[key].get("optional"):
            add(key)
    for key in sorted(data):
        add(key)
    return ",".join(out)
