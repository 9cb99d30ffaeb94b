"""Elasticsearch privileges, checked statically: the code's client calls against infra/elasticsearch/privileges.json,
and that table against the roles in infra/elasticsearch/roles/.

The local node runs without security (the security module is not published as a jar we can run), so a 403 in
production is caught here or nowhere. From each service's and each operator command's entry point the test follows
calls through ``services/`` (functions, methods on ``self`` and on objects whose class it can see) and collects every
Elasticsearch client call on the way. Privilege names are resolved to action patterns as Elasticsearch 8 defines them
(``IndexPrivilege`` and ``ClusterPrivilegeResolver`` in x-pack core), so a privilege in the table must really grant
the action it is listed for.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parents[2]
ES_DIR = ROOT / "infra" / "elasticsearch"
TABLE = json.loads((ES_DIR / "privileges.json").read_text())
ROLES = {path.stem: json.loads(path.read_text()) for path in sorted((ES_DIR / "roles").glob("*.json"))}
# Roles of users that are not Python code (Metricbeat): checked against TABLE["beats"], not the call graph.
BEAT_ROLES = {name: spec for name, spec in TABLE["beats"].items() if not name.startswith("_")}
SERVICE_ROLES = {name: role for name, role in ROLES.items() if name not in BEAT_ROLES}
INDEX_NAMES = ("articles", "articles-*")
# The enrichment workers' story state: outside articles-*, so the articles' roles and template never reach it.
STORY_INDEX_NAMES = ("articles_stories-*",)

# Elasticsearch 8.x, x-pack core: the action patterns each named privilege grants (the subset we use or consider).
INDEX_PRIVILEGES = {
    "all": ["indices:*"],
    "read": ["indices:data/read/*"],
    "write": ["indices:data/write/*", "indices:admin/mapping/auto_put"],
    # create_doc is restricted to op_type=create; the patterns here are the actions it is granted on.
    "create_doc": ["indices:data/write/bulk*", "indices:data/write/index"],
    "create_index": ["indices:admin/create", "indices:admin/auto_create", "indices:admin/data_stream/create"],
    "auto_configure": ["indices:admin/mapping/auto_put", "indices:admin/auto_create"],
    "view_index_metadata": [
        "indices:admin/aliases/get",
        "indices:admin/get",
        "indices:admin/mappings/fields/get*",
        "indices:admin/mappings/get",
        "indices:admin/settings/get",
        "indices:admin/resolve/index",
    ],
    "maintenance": ["indices:admin/refresh*", "indices:admin/flush*", "indices:admin/forcemerge*"],
    "manage": ["indices:monitor/*", "indices:admin/*"],
    "delete_index": ["indices:admin/delete", "indices:admin/data_stream/delete"],
}
CLUSTER_PRIVILEGES = {
    "all": ["cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"],
    "monitor": [
        "cluster:monitor/*",
        "indices:admin/template/get",
        "indices:admin/index_template/get",
        "cluster:admin/component_template/get",
    ],
    "manage_index_templates": [
        "indices:admin/template/*",
        "indices:admin/index_template/*",
        "cluster:admin/component_template/*",
    ],
}
# elasticsearch.helpers functions -> the client APIs they call.
HELPER_APIS = {
    "streaming_bulk": ["bulk"],
    "bulk": ["bulk"],
    "parallel_bulk": ["bulk"],
    "scan": ["search", "scroll", "clear_scroll"],
    "reindex": ["bulk", "search", "scroll", "clear_scroll"],
}
# What the code calls an Elasticsearch client: a name here, ``self._es``, or ``make_client(...)`` itself.
CLIENT_NAMES = {"es", "client"}
# Never connected: only its API surface is looked at (namespaces such as ``indices`` exist on instances).
CLIENT = Elasticsearch("http://127.0.0.1:1")


def grants(privilege: str, action: str, on: str) -> bool:
    """Whether a privilege named in a role (a named privilege or an action pattern) grants ``action``."""
    named = (INDEX_PRIVILEGES if on == "indices" else CLUSTER_PRIVILEGES).get(privilege)
    patterns = named if named is not None else [privilege]
    return any(fnmatchcase(action, pattern) for pattern in patterns)


# --- the call graph ------------------------------------------------------------------------------------------------


@dataclass
class Function:
    qualname: str  # module:name or module:Class.name
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: str
    cls: str | None
    apis: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    instantiates: set[str] = field(default_factory=set)  # module.Class
    virtual_calls: set[tuple[str, str]] = field(default_factory=set)  # (module.Class, method) on a typed name


@dataclass
class Module:
    name: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)  # local name -> module.attr or module


def _modules() -> dict[str, Module]:
    modules = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = Module(name, ast.parse(path.read_text(), filename=str(path)))
        module.imports = _imports(module.tree.body)
        modules[name] = module
    return modules


def _imports(body: list[ast.stmt]) -> dict[str, str]:
    names = {}
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def _local_imports(node: ast.AST) -> dict[str, str]:
    return _imports([child for child in ast.walk(node) if isinstance(child, ast.Import | ast.ImportFrom)])


class Graph:
    def __init__(self) -> None:
        self.modules = _modules()
        self.functions: dict[str, Function] = {}
        self.classes: dict[str, dict[str, str]] = {}  # module.Class -> method name -> qualname
        self.attribute_types: dict[str, dict[str, str]] = {}  # module.Class -> self attribute -> module.Class
        self.return_types: dict[str, str] = {}  # function qualname -> module.Class
        self.bases: dict[str, set[str]] = {}  # module.Class -> the module.Class names it derives from
        for module in self.modules.values():
            for node in module.tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._add(module, node, None)
                elif isinstance(node, ast.ClassDef):
                    self.classes[f"{module.name}.{node.name}"] = {}
                    self.bases[f"{module.name}.{node.name}"] = {
                        self._resolve_name(ast.unparse(base), module, {}) or "" for base in node.bases
                    }
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                            self._add(module, item, node.name)
        for function in self.functions.values():
            self._scan(function)

    def _add(self, module: Module, node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None) -> None:
        qualname = f"{module.name}:{cls + '.' if cls else ''}{node.name}"
        self.functions[qualname] = Function(qualname, node, module.name, cls)
        if cls:
            self.classes[f"{module.name}.{cls}"][node.name] = qualname
        if node.returns is not None:
            resolved = self._resolve_name(ast.unparse(node.returns).strip("'\""), module, {})
            if resolved in self.classes or resolved is not None:
                self.return_types[qualname] = resolved or ""

    def _resolve_name(self, name: str, module: Module, local: dict[str, str]) -> str | None:
        """A bare name to ``module.attr`` (a function or class of services/, or something imported)."""
        target = local.get(name) or module.imports.get(name)
        if target:
            return target
        return f"{module.name}.{name}"

    def _function_or_class(self, dotted: str | None) -> str | None:
        """``services.x.f`` -> the qualname of that function, or ``services.x.C`` for a class; None otherwise."""
        if not dotted:
            return None
        if dotted in self.classes:
            return dotted
        module, _, name = dotted.rpartition(".")
        qualname = f"{module}:{name}"
        return qualname if qualname in self.functions else None

    def _scan(self, function: Function) -> None:
        module = self.modules[function.module]
        local = _local_imports(function.node)
        own_class = f"{function.module}.{function.cls}" if function.cls else None
        variables: dict[str, str] = {}  # local variable -> module.Class

        def type_of_call(call: ast.expr) -> str | None:
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                target = self._function_or_class(self._resolve_name(call.func.id, module, local))
                if target in self.classes:
                    return target
                if target in self.functions:
                    returned = self.return_types.get(target)
                    return returned if returned in self.classes else None
            return None

        # Types first (assignments may follow their use in the walk order of nested blocks). A parameter annotated
        # with a class (``stories: StoryAssigner | None``) has that type; its method calls are dispatched below.
        for node in ast.walk(function.node):
            if isinstance(node, ast.arg) and node.annotation is not None:
                for name in ast.walk(node.annotation):
                    if isinstance(name, ast.Name):
                        typed = self._function_or_class(self._resolve_name(name.id, module, local))
                        if typed in self.classes:
                            variables[node.arg] = typed
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                typed = type_of_call(node.value)
                target = node.targets[0]
                if typed and isinstance(target, ast.Name):
                    variables[target.id] = typed
                elif typed and own_class and _is_self_attribute(target):
                    assert isinstance(target, ast.Attribute)
                    self.attribute_types.setdefault(own_class, {})[target.attr] = typed

        for node in ast.walk(function.node):
            if isinstance(node, ast.Call):
                function.apis.update(self._client_api(node, module, local))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                target = self._function_or_class(self._resolve_name(node.id, module, local))
                if target in self.classes:
                    function.instantiates.add(target)
                    target = self.classes[target].get("__init__")
                if target:
                    function.calls.add(target)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                owner = self._owner_class(node.value, own_class, variables)
                if owner and node.attr in self.classes.get(owner, {}):
                    function.calls.add(self.classes[owner][node.attr])
                    function.virtual_calls.add((owner, node.attr))
                elif isinstance(node.value, ast.Name) and node.value.id in (local | module.imports):
                    target = self._function_or_class(f"{(local | module.imports)[node.value.id]}.{node.attr}")
                    if target and target not in self.classes:
                        function.calls.add(target)

    def _owner_class(self, value: ast.expr, own_class: str | None, variables: dict[str, str]) -> str | None:
        if isinstance(value, ast.Name):
            if value.id == "self":
                return own_class
            return variables.get(value.id)
        if own_class and _is_self_attribute(value):
            assert isinstance(value, ast.Attribute)
            return self.attribute_types.get(own_class, {}).get(value.attr)
        return None

    def _client_api(self, call: ast.Call, module: Module, local: dict[str, str]) -> Iterator[str]:
        """The Elasticsearch API a call makes: ``es.search(...)``, ``client.options(...).indices.get(...)``,
        ``make_client(s).count(...)``, or an ``elasticsearch.helpers`` function given the client."""
        if isinstance(call.func, ast.Name):
            dotted = local.get(call.func.id) or module.imports.get(call.func.id, "")
            if dotted.startswith("elasticsearch.helpers."):
                yield from HELPER_APIS[dotted.rsplit(".", 1)[1]]
            return
        path: list[str] = []
        node: ast.expr = call.func
        while True:
            if isinstance(node, ast.Attribute):
                if _is_self_attribute(node) and node.attr == "_es":
                    root = "client"
                    break
                path.insert(0, node.attr)
                node = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "options":
                node = node.func.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "make_client":
                root = "client"
                break
            elif isinstance(node, ast.Name):
                root = node.id
                break
            else:
                return
        if root not in CLIENT_NAMES or not path or path == ["options"]:
            return
        api = ".".join(path)
        target: Any = CLIENT
        for part in path:
            target = getattr(target, part, None)
            assert target is not None, f"{module.name}: {root}.{api} is not an Elasticsearch client API"
        yield api

    def derives_from(self, cls: str, base: str) -> bool:
        return cls == base or any(self.derives_from(parent, base) for parent in self.bases.get(cls, ()))

    def reachable_apis(self, entry: str) -> dict[str, set[str]]:
        """API -> the functions that call it, over everything reachable from ``entry``.

        A method called on a name typed by a base class (a Protocol) reaches that method of every subclass that
        something reachable instantiates (rapid type analysis): the worker's ``stories.assign`` reaches
        ``StoryStore.assign``, which only the worker's bootstrap builds, while ``dateline enrich`` reaches only
        ``StoryIndex.assign``."""
        seen: set[str] = set()
        todo = [entry]
        found: dict[str, set[str]] = {}
        instantiated: set[str] = set()
        virtual: set[tuple[str, str]] = set()
        while todo:
            while todo:
                qualname = todo.pop()
                if qualname in seen:
                    continue
                seen.add(qualname)
                function = self.functions[qualname]
                for api in function.apis:
                    found.setdefault(api, set()).add(qualname)
                todo.extend(function.calls - seen)
                instantiated |= function.instantiates
                virtual |= function.virtual_calls
            for owner, method in virtual:
                for cls in instantiated:
                    target = self.classes.get(cls, {}).get(method)
                    if target and target not in seen and self.derives_from(cls, owner):
                        todo.append(target)
        return found


def _is_self_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph()


# --- the checks ----------------------------------------------------------------------------------------------------


def _rows_for(caller: str) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for row in TABLE["apis"]:
        if caller in row["callers"]:
            assert row["api"] not in rows, f"two rows for {row['api']} name {caller}"
            rows[row["api"]] = row
    return rows


@pytest.mark.parametrize("caller", sorted(TABLE["callers"]))
def test_every_elasticsearch_call_of_each_caller_is_in_the_table_and_nothing_more(graph: Graph, caller: str) -> None:
    entry = TABLE["callers"][caller]["entry"]
    assert entry in graph.functions, f"{caller}: no function {entry}"
    called = graph.reachable_apis(entry)
    listed = _rows_for(caller)
    missing = {api: sorted(where) for api, where in called.items() if api not in listed}
    assert not missing, f"{caller} calls APIs privileges.json does not list for it: {missing}"
    stale = sorted(set(listed) - set(called))
    assert not stale, f"privileges.json lists APIs {caller} no longer calls: {stale}"
    if TABLE["callers"][caller]["user"] is None:
        assert not called, f"{caller} has no Elasticsearch user but calls {sorted(called)}"


def test_the_scan_sees_the_calls_it_must_see(graph: Graph) -> None:
    # The indexer's path to put-mapping goes bootstrap -> install_template; the search page's goes through FastAPI
    # routes nested in create_app; the replay's bulk through a helper on self._es. If the scanner lost any of these,
    # the table test above would pass for the wrong reason.
    assert "indices.put_mapping" in graph.reachable_apis("services.indexer.__main__:main")
    assert "bulk" in graph.reachable_apis("services.indexer.__main__:main")
    assert "indices.get_alias" in graph.reachable_apis("services.indexer.__main__:main")  # via GenerationWatch
    assert {"open_point_in_time", "search", "ping"} <= set(graph.reachable_apis("services.search.__main__:main"))
    assert "indices.update_aliases" in graph.reachable_apis("services.cli:replay")
    # The worker's story store is reached through the StoryAssigner protocol, only where bootstrap builds one.
    assert {"msearch", "bulk"} <= set(graph.reachable_apis("services.enrich.__main__:main"))
    assert not graph.reachable_apis("services.cli:enrich")


def _is_make_client(node: ast.expr) -> bool:
    """``make_client(...)``, or ``<client>.options(...)`` (a client with other request options)."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id == "make_client"
    return node.func.attr == "options" if isinstance(node.func, ast.Attribute) else False


def test_every_client_in_services_goes_by_a_name_the_scan_knows() -> None:
    """A client held under another name would be invisible to the scan: refuse it."""
    for path in sorted((ROOT / "services").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.arg)
                and node.annotation is not None
                and ast.unparse(node.annotation)
                in (
                    "Elasticsearch",
                    "'Elasticsearch'",
                )
            ):
                assert node.arg in CLIENT_NAMES, f"{path}: Elasticsearch parameter {node.arg!r}"
            values = node.value.values if isinstance(node, ast.Assign) and isinstance(node.value, ast.BoolOp) else []
            if isinstance(node, ast.Assign) and any(_is_make_client(v) for v in [node.value, *values]):
                for target in node.targets:
                    name = target.id if isinstance(target, ast.Name) else ast.unparse(target)
                    assert name in CLIENT_NAMES or name == "self._es", f"{path}: client assigned to {name!r}"


@pytest.mark.parametrize("row", TABLE["apis"], ids=lambda row: f"{row['api']}-{'+'.join(row['callers'])}")
def test_each_listed_privilege_grants_the_actions_of_its_api(row: dict[str, Any]) -> None:
    for action in row["actions"]:
        assert any(grants(p, action, row["on"]) for p in row["privileges"]), (row["api"], action)
    for privilege in row["privileges"]:
        assert any(grants(privilege, a, row["on"]) for a in row["actions"]), f"{row['api']}: {privilege} is not needed"


def _granted(role: dict[str, Any], on: str, names: tuple[str, ...] = INDEX_NAMES) -> set[str]:
    if on == "cluster":
        return set(role.get("cluster", []))
    granted: set[str] | None = None
    for name in names:
        here = {p for entry in role.get("indices", []) if name in entry["names"] for p in entry["privileges"]}
        granted = here if granted is None else granted & here
    return granted or set()


@pytest.mark.parametrize("row", TABLE["apis"], ids=lambda row: f"{row['api']}-{'+'.join(row['callers'])}")
def test_each_caller_s_role_holds_the_privileges_of_the_apis_it_calls(row: dict[str, Any]) -> None:
    for caller in row["callers"]:
        user = TABLE["callers"][caller]["user"]
        assert user in ROLES, f"{caller}: no role file for user {user}"
        names = tuple(row.get("index_names", INDEX_NAMES))
        missing = set(row["privileges"]) - _granted(ROLES[user], row["on"], names)
        assert not missing, f"{user} ({caller}) lacks {sorted(missing)} for {row['api']} ({row['actions']})"


@pytest.mark.parametrize("role", sorted(SERVICE_ROLES))
def test_each_role_grants_nothing_its_callers_do_not_use(role: str) -> None:
    callers = {name for name, spec in TABLE["callers"].items() if spec["user"] == role}
    assert callers, f"role {role} has no caller in privileges.json"
    needed = {
        (row["on"], privilege)
        for row in TABLE["apis"]
        if callers & set(row["callers"])
        for privilege in row["privileges"]
    }
    granted = {("cluster", p) for p in ROLES[role].get("cluster", [])} | {
        ("indices", p) for entry in ROLES[role].get("indices", []) for p in entry["privileges"]
    }
    assert granted == needed, f"{role}: granted but unused {granted - needed}, needed but missing {needed - granted}"
    for entry in ROLES[role].get("indices", []):
        assert sorted(entry["names"]) in (sorted(INDEX_NAMES), sorted(STORY_INDEX_NAMES)), entry["names"]


def test_setup_script_makes_one_user_per_role_with_the_role_file_as_is() -> None:
    script = (ES_DIR / "setup-security.sh").read_text()
    assert '"$here"/roles/*.json' in script
    assert '--data-binary "@$role_file"' in script
    assert "_security/user/$name" in script


def test_every_role_file_belongs_to_a_caller_or_a_beat() -> None:
    users = {spec["user"] for spec in TABLE["callers"].values() if spec["user"]}
    assert set(ROLES) == users | set(BEAT_ROLES)
    assert not users & set(BEAT_ROLES)


@pytest.mark.parametrize("role", sorted(BEAT_ROLES))
def test_each_beat_role_is_its_documented_writer_role_on_its_own_indices_only(role: str) -> None:
    spec = BEAT_ROLES[role]
    assert role in ROLES, f"no role file for {role}"
    granted = {("cluster", p) for p in ROLES[role].get("cluster", [])} | {
        ("indices", p) for entry in ROLES[role].get("indices", []) for p in entry["privileges"]
    }
    listed = {(row["on"], row["privilege"]) for row in spec["privileges"]}
    assert granted == listed, f"{role}: granted {granted}, listed {listed}"
    for entry in ROLES[role].get("indices", []):
        assert entry["names"] == spec["indices"], entry["names"]
        assert not set(entry["names"]) & set(INDEX_NAMES), f"{role} must not touch the articles"
    for row in spec["privileges"]:
        for action in row["actions"]:
            assert grants(row["privilege"], action, row["on"]), (role, row["privilege"], action)
    # Nothing that could change templates, policies or other indices.
    assert not {"all", "manage", "manage_index_templates", "manage_ilm", "write", "delete_index"} & {
        p for _on, p in granted
    }
