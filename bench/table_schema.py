#!/usr/bin/env python3
"""Writes a Frictionless Table Schema equivalent to a CreditHub catalogue resource.

Reads the resource's JSON (`credithub catalog show ID --json`) on stdin and prints a Table
Schema whose field names are the Chinese labels (the header `credithub sample` writes), with
types, required flags, lengths, code lists and the USCC / ID number shapes as patterns. Frictionless
has no check-character or cross-field rules, so those CreditHub checks have no equivalent here:
the comparison is generous to Frictionless.
"""
import json
import sys

resource = json.load(sys.stdin)
code_lists = resource.get("codeLists", {})
fields = []
for field in resource["fields"]:
    kind = field["type"]
    schema = {"name": field["label"], "type": "string", "constraints": {}}
    if field.get("required"):
        schema["constraints"]["required"] = True
    if field.get("maximumLength"):
        schema["constraints"]["maxLength"] = field["maximumLength"]
    if kind == "date":
        schema["type"] = "date"
        schema["format"] = "%Y/%m/%d"
        schema["constraints"].pop("maxLength", None)
    elif kind in ("amount", "decimal"):
        schema["type"] = "number"
        schema["constraints"]["minimum"] = 0
        schema["constraints"].pop("maxLength", None)
    elif kind == "integer":
        schema["type"] = "integer"
    elif kind == "code" and field.get("codeList") in code_lists and not field.get("multipleValues"):
        schema["constraints"]["enum"] = [value["value"] for value in code_lists[field["codeList"]]["values"]]
    elif kind == "uscc":
        schema["constraints"]["pattern"] = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
    elif kind in ("resident_id", "document_number"):
        schema["constraints"]["pattern"] = "[0-9A-Za-z]{1,64}"
    if not schema["constraints"]:
        del schema["constraints"]
    fields.append(schema)
print(json.dumps({"fields": fields, "missingValues": [""]}, ensure_ascii=False, indent=1))
