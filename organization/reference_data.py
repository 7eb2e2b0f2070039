"""The source project's reference organization, plus a few realistic cadres and designations."""

from organization.models import DepartmentKind

DEPARTMENTS = [
    {
        "name": "Dr RP Center for Ophthalmic Sciences",
        "abbr": "RPC",
        "kind": DepartmentKind.CENTER,
        "units": [(f"RPC Unit {n}", f"U-{n}") for n in range(1, 7)] + [("Ocular Anesthesia", "Ocu Anes")],
    },
    {"name": "Anaesthesiology", "abbr": "Anaes", "kind": DepartmentKind.DEPARTMENT, "units": []},
]

CADRES = {
    "Faculty": [
        ("Assistant Professor", "Asst Prof"),
        ("Associate Professor", "Assoc Prof"),
        ("Additional Professor", "Addl Prof"),
        ("Professor", "Prof"),
    ],
    "Resident": [("Junior Resident", "JR"), ("Senior Resident", "SR")],
    "Nursing": [("Nursing Officer", "NO"), ("Senior Nursing Officer", "SNO")],
    "Administrative": [("Administrative Officer", "AO"), ("Section Officer", "SO")],
}

# Roles are Django groups: name -> "app_label.codename" permissions.
GROUPS = {
    "Directory editors": [
        f"{app}.{action}_{model}"
        for app, model in [
            ("organization", "department"),
            ("organization", "unit"),
            ("organization", "cadre"),
            ("organization", "designation"),
            ("accounts", "user"),
        ]
        for action in ("view", "add", "change")
    ],
    "Moderators": ["posts.view_post", "posts.change_post", "posts.delete_post", "accounts.view_user"],
}
