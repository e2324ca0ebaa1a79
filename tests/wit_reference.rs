//! The WIT references in `docs/` are generated from `wit/` by this test, one per
//! version of the contract, so that they cannot drift: the test fails when a committed
//! file differs from what `wit/` gives. After changing `wit/`, regenerate them with
//! `GUICHET_BLESS=1 cargo test --test wit_reference` and commit them.

use std::fmt::Write;
use std::path::Path;

use wit_parser::{Docs, Resolve, Type, TypeDefKind, TypeId, WorldItem, WorldKey};

/// Each version's folder and its reference: the latest is `docs/wit-reference.md`.
const REFERENCES: [(&str, &str); 3] = [
    ("wit/v0.3.0", "docs/wit-reference.md"),
    ("wit/v0.2.0", "docs/wit-reference-v0.2.0.md"),
    ("wit/v0.1.0", "docs/wit-reference-v0.1.0.md"),
];

#[test]
fn the_wit_references_match_wit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (wit, reference) in REFERENCES {
        let generated = generate(&root.join(wit), wit);
        let path = root.join(reference);
        if std::env::var_os("GUICHET_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{reference} is out of date with {wit}/: run `GUICHET_BLESS=1 cargo test --test \
             wit_reference` and commit the result"
        );
    }
}

fn generate(wit: &Path, folder: &str) -> String {
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(wit).expect("the WIT parses");
    let pkg = &resolve.packages[package];
    let mut out = String::new();
    writeln!(out, "# WIT reference: `{}`\n", pkg.name).unwrap();
    writeln!(
        out,
        "Generated from [`{folder}/`](../{folder}) by `tests/wit_reference.rs`; do not edit \
         by hand. The versions served and the compatibility policy are in \
         [`wit/README.md`](../wit/README.md). Names are WIT's; each language's bindings \
         spell them in its own style (`on-event` is `on_event` in Rust and Python, \
         `onEvent` in JavaScript).\n"
    )
    .unwrap();
    push_docs(&mut out, &pkg.docs);

    writeln!(out, "## Worlds\n").unwrap();
    for (name, world) in &pkg.worlds {
        let world = &resolve.worlds[*world];
        writeln!(out, "### world `{name}`\n").unwrap();
        push_docs(&mut out, &world.docs);
        for (label, items) in [("imports", &world.imports), ("exports", &world.exports)] {
            let names: Vec<String> = items
                .iter()
                .filter_map(|(key, item)| match (key, item) {
                    (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                        resolve.interfaces[*id].name.clone()
                    }
                    (WorldKey::Name(name), _) => Some(name.clone()),
                    _ => None,
                })
                .map(|n| format!("`{n}`"))
                .collect();
            writeln!(out, "- {label}: {}", names.join(", ")).unwrap();
        }
        writeln!(out).unwrap();
    }

    writeln!(out, "## Interfaces\n").unwrap();
    for (name, id) in &pkg.interfaces {
        let interface = &resolve.interfaces[*id];
        writeln!(out, "### interface `{name}`\n").unwrap();
        push_docs(&mut out, &interface.docs);
        for (type_name, type_id) in &interface.types {
            let def = &resolve.types[*type_id];
            if let TypeDefKind::Type(Type::Id(target)) = def.kind
                && resolve.types[target].owner != def.owner
            {
                // A `use` of another interface's type: documented there.
                continue;
            }
            push_type(&mut out, &resolve, type_name, *type_id);
        }
        for function in interface.functions.values() {
            let params: Vec<String> = function
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name, type_name(&resolve, &p.ty)))
                .collect();
            let result = function
                .result
                .as_ref()
                .map(|t| format!(" -> {}", type_name(&resolve, t)))
                .unwrap_or_default();
            writeln!(
                out,
                "#### `{}: func({}){result}`\n",
                function.name,
                params.join(", ")
            )
            .unwrap();
            push_docs(&mut out, &function.docs);
        }
    }
    out.trim_end().to_string() + "\n"
}

fn push_type(out: &mut String, resolve: &Resolve, name: &str, id: TypeId) {
    let def = &resolve.types[id];
    let (keyword, members): (&str, Vec<(String, &Docs)>) = match &def.kind {
        TypeDefKind::Record(record) => (
            "record",
            record
                .fields
                .iter()
                .map(|f| {
                    (
                        format!("`{}: {}`", f.name, type_name(resolve, &f.ty)),
                        &f.docs,
                    )
                })
                .collect(),
        ),
        TypeDefKind::Variant(variant) => (
            "variant",
            variant
                .cases
                .iter()
                .map(|c| {
                    let payload =
                        c.ty.as_ref()
                            .map(|t| format!("({})", type_name(resolve, t)))
                            .unwrap_or_default();
                    (format!("`{}{payload}`", c.name), &c.docs)
                })
                .collect(),
        ),
        TypeDefKind::Enum(cases) => (
            "enum",
            cases
                .cases
                .iter()
                .map(|c| (format!("`{}`", c.name), &c.docs))
                .collect(),
        ),
        TypeDefKind::Flags(flags) => (
            "flags",
            flags
                .flags
                .iter()
                .map(|f| (format!("`{}`", f.name), &f.docs))
                .collect(),
        ),
        TypeDefKind::Type(target) => {
            writeln!(out, "#### type `{name} = {}`\n", type_name(resolve, target)).unwrap();
            push_docs(out, &def.docs);
            return;
        }
        other => panic!("{name}: the reference does not render {other:?} yet"),
    };
    writeln!(out, "#### {keyword} `{name}`\n").unwrap();
    push_docs(out, &def.docs);
    for (member, docs) in members {
        let text = docs
            .contents
            .as_deref()
            .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        if text.is_empty() {
            writeln!(out, "- {member}").unwrap();
        } else {
            writeln!(out, "- {member}: {text}").unwrap();
        }
    }
    writeln!(out).unwrap();
}

fn push_docs(out: &mut String, docs: &Docs) {
    if let Some(text) = &docs.contents {
        writeln!(out, "{}\n", text.trim()).unwrap();
    }
}

fn type_name(resolve: &Resolve, ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::U8 => "u8".into(),
        Type::U16 => "u16".into(),
        Type::U32 => "u32".into(),
        Type::U64 => "u64".into(),
        Type::S8 => "s8".into(),
        Type::S16 => "s16".into(),
        Type::S32 => "s32".into(),
        Type::S64 => "s64".into(),
        Type::F32 => "f32".into(),
        Type::F64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::ErrorContext => "error-context".into(),
        Type::Id(id) => {
            let def = &resolve.types[*id];
            if let Some(name) = &def.name {
                return name.clone();
            }
            match &def.kind {
                TypeDefKind::List(t) => format!("list<{}>", type_name(resolve, t)),
                TypeDefKind::Option(t) => format!("option<{}>", type_name(resolve, t)),
                TypeDefKind::Result(r) => {
                    let side = |t: &Option<Type>| {
                        t.as_ref()
                            .map_or("_".to_string(), |t| type_name(resolve, t))
                    };
                    format!("result<{}, {}>", side(&r.ok), side(&r.err))
                }
                TypeDefKind::Tuple(t) => format!(
                    "tuple<{}>",
                    t.types
                        .iter()
                        .map(|t| type_name(resolve, t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => format!("{other:?}"),
            }
        }
    }
}
