"""Shopify-shaped GraphQL error bodies."""

from __future__ import annotations

import re

from graphql import GraphQLError

THROTTLE_DOC = "https://shopify.dev/api/usage/rate-limits"

# graphql-core validation messages -> (Shopify extensions.code, Shopify message template)
_VALIDATION_PATTERNS = [
    (re.compile(r"Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'"),
     "undefinedField", "Field '{field}' doesn't exist on type '{type}'"),
    (re.compile(r"Unknown argument '(?P<arg>\w+)' on field '(?P<type>\w+)\.(?P<field>\w+)'"),
     "argumentNotAccepted", "Field '{field}' doesn't accept argument '{arg}'"),
    (re.compile(r"Field '(?P<field>\w+)' argument '(?P<arg>\w+)' of type '(?P<argtype>[^']+)' is required"),
     "missingRequiredArguments", "Field '{field}' is missing required arguments: {arg}"),
    (re.compile(r"Unknown type '(?P<type>\w+)'"), "undefinedType", "No such type {type}, so it can't be a "
     "fragment condition"),
    (re.compile(r"Field '(?P<field>\w+)' of type '(?P<type>[^']+)' must have a selection of subfields"),
     "selectionMismatch", "Field must have selections ({field} returns {type} but has no selections.)"),
    (re.compile(r"Field '(?P<field>\w+)' must not have a selection since type '(?P<type>[^']+)' has no "
                r"subfields"),
     "selectionMismatch", "Selections can't be made on scalars (field '{field}' returns {type} but has "
     "selections)"),
    (re.compile(r"Variable '\$(?P<var>\w+)' is never used"), "variableNotUsed", "Variable ${var} is declared "
     "by anonymous query but not used"),
    (re.compile(r"Variable '\$(?P<var>\w+)' is not defined"), "undefinedVariable", "Variable ${var} is used "
     "but not declared"),
    (re.compile(r"Unknown fragment '(?P<name>\w+)'"), "useAndDefineFragment", "Fragment {name} was used, but "
     "not defined"),
    (re.compile(r"Expected value of type '(?P<type>\w+)' not to include unknown field '(?P<arg>\w+)'"),
     "argumentNotAccepted", "InputObject '{type}' doesn't accept argument '{arg}'"),
    (re.compile(r"Unknown directive '@(?P<name>\w+)'"), "undefinedDirective", "Directive '{name}' is not defined"),
]
# An input field this API version does not have, given in a variable (graphql-core reports it while executing).
_VARIABLE_FIELD = re.compile(r"Variable '\$(?P<var>\w+)' has invalid value at \.?(?P<path>[^:]*): Expected value of "
                             r"type '(?P<type>\w+)' not to include unknown field '(?P<field>\w+)'")


def format_error(error: GraphQLError, validation: bool = False) -> dict:
    """A graphql-core error as Shopify shows it (validation errors get Shopify's codes and wording)."""
    out = error.formatted
    out = {k: v for k, v in out.items() if v is not None}
    m = _VARIABLE_FIELD.search(error.message)
    if m:
        path = ".".join(filter(None, [re.sub(r"\[(\d+)\]", r".\1", m["path"]).strip("."), m["field"]]))
        out["message"] = (f"Variable ${m['var']} was provided invalid value for {path} "
                          f"(Field is not defined on {m['type']})")
        out["extensions"] = {"code": "INVALID_VARIABLE"}
        return out
    if validation:
        for pattern, code, template in _VALIDATION_PATTERNS:
            m = pattern.search(error.message)
            if m:
                fields = m.groupdict()
                out["message"] = template.format(**fields)
                ext = {"code": code}
                if "type" in fields and "field" in fields:
                    ext.update(typeName=fields["type"], fieldName=fields["field"])
                out["extensions"] = ext
                break
        else:
            out.setdefault("extensions", {"code": "validationError"})
    return out


def parse_error(error: GraphQLError) -> dict:
    out = {"message": error.message.replace("Syntax Error: ", "Parse error: "),
           "extensions": {"code": "parseError"}}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return out


def throttled() -> dict:
    return {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": THROTTLE_DOC}}


def max_cost_exceeded(cost: int, max_cost: int) -> dict:
    return {
        "message": (f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
                    "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
                    "cost of a query is calculated.\n\n"
                    "To query larger amounts of data with fewer limits, bulk operations should be used "
                    "instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for "
                    "usage details.\n"),
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": max_cost},
    }


def internal_error(request_id: str) -> dict:
    return {"message": f"Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} "
                       "(include this in support requests).",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}
