//! Plugin project templates: what `guichet plugin new` writes.
//!
//! The files live in `templates/` (one folder per language and kind, plus samples
//! per kind) and `wit/`, and are embedded in the binary so that `plugin new` works
//! wherever guichet is installed. This module fills in their placeholders and
//! writes them; it never overwrites an existing file and never builds anything: the
//! commands it returns are for the integrator to run.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::runtime::{WIT_PACKAGE, World};

/// A language a template exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Rust, Lang::Python, Lang::Js];
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        })
    }
}

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "`{0}` is not a usable plugin name: use lower-case letters, digits and dashes, \
         starting with a letter, at most 64 characters (e.g. `vip-routing`)"
    )]
    BadName(String),
    #[error("{0} already exists and is not empty; choose another name or --dir")]
    NotEmpty(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A project written by [`create`], and how to build and run it.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    /// What must be installed first, in a sentence.
    pub needs: &'static str,
    /// The command that builds the component, run in `dir`.
    pub build: String,
    /// The command that runs the built component on the sample input, in `dir`.
    pub run: String,
}

struct File {
    path: &'static str,
    contents: &'static str,
}

macro_rules! file {
    ($path:literal, $source:literal) => {
        File {
            path: $path,
            contents: include_str!(concat!("../../", $source)),
        }
    };
}

/// The contract version the templates target (the latest), and its WIT.
const TEMPLATE_PACKAGE: &str = WIT_PACKAGE;
const WIT: [File; 4] = [
    file!("wit/types.wit", "wit/v0.3.0/types.wit"),
    file!("wit/host.wit", "wit/v0.3.0/host.wit"),
    file!("wit/worlds.wit", "wit/v0.3.0/worlds.wit"),
    file!("wit/README.md", "wit/README.md"),
];

fn sources(lang: Lang, world: World) -> Vec<File> {
    use Lang::*;
    use World::*;
    match (lang, world) {
        (Rust, Automation) => vec![
            file!("Cargo.toml", "templates/rust/automation/Cargo.toml"),
            file!("src/lib.rs", "templates/rust/automation/src/lib.rs"),
            file!("Cargo.lock", "templates/rust/Cargo.lock"),
        ],
        (Rust, Macros) => vec![
            file!("Cargo.toml", "templates/rust/macros/Cargo.toml"),
            file!("src/lib.rs", "templates/rust/macros/src/lib.rs"),
            file!("Cargo.lock", "templates/rust/Cargo.lock"),
        ],
        (Rust, ChannelAdapter) => vec![
            file!("Cargo.toml", "templates/rust/channel-adapter/Cargo.toml"),
            file!("src/lib.rs", "templates/rust/channel-adapter/src/lib.rs"),
            file!("Cargo.lock", "templates/rust/Cargo.lock"),
        ],
        (Python, Automation) => vec![file!("app.py", "templates/python/automation/app.py")],
        (Python, Macros) => vec![file!("app.py", "templates/python/macros/app.py")],
        (Python, ChannelAdapter) => {
            vec![file!("app.py", "templates/python/channel-adapter/app.py")]
        }
        (Js, Automation) => vec![
            file!("package.json", "templates/js/automation/package.json"),
            file!("package-lock.json", "templates/js/package-lock.json"),
            file!("plugin.js", "templates/js/automation/plugin.js"),
            file!("componentize.mjs", "toolchains/js/componentize.mjs"),
        ],
        (Js, Macros) => vec![
            file!("package.json", "templates/js/macros/package.json"),
            file!("package-lock.json", "templates/js/package-lock.json"),
            file!("plugin.js", "templates/js/macros/plugin.js"),
            file!("componentize.mjs", "toolchains/js/componentize.mjs"),
        ],
        (Js, ChannelAdapter) => vec![
            file!("package.json", "templates/js/channel-adapter/package.json"),
            file!("package-lock.json", "templates/js/package-lock.json"),
            file!("plugin.js", "templates/js/channel-adapter/plugin.js"),
            file!("componentize.mjs", "toolchains/js/componentize.mjs"),
        ],
    }
}

fn samples(world: World) -> Vec<File> {
    match world {
        World::Automation => vec![
            file!("config.json", "templates/samples/automation/config.json"),
            file!(
                "sample-events.jsonl",
                "templates/samples/automation/sample-events.jsonl"
            ),
        ],
        World::Macros => vec![
            file!("config.json", "templates/samples/macros/config.json"),
            file!(
                "sample-requests.jsonl",
                "templates/samples/macros/sample-requests.jsonl"
            ),
        ],
        World::ChannelAdapter => vec![
            file!(
                "config.json",
                "templates/samples/channel-adapter/config.json"
            ),
            file!(
                "sample-requests.jsonl",
                "templates/samples/channel-adapter/sample-requests.jsonl"
            ),
        ],
    }
}

/// Whether `name` can name a plugin in every language's package manager.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
        && !name.ends_with('-')
        && !name.contains("--")
}

/// Writes a `lang` project of plugin kind `world` named `name` into `dir` (which
/// must be absent or empty), and returns how to build and run it.
pub fn create(name: &str, lang: Lang, world: World, dir: &Path) -> Result<Project, TemplateError> {
    if !valid_name(name) {
        return Err(TemplateError::BadName(name.to_string()));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(TemplateError::NotEmpty(dir.to_path_buf()));
    }
    // `guichet:plugin/channel-adapter@0.3.0`: the world, in the templates' version.
    let world_id = match TEMPLATE_PACKAGE.split_once('@') {
        Some((package, version)) => format!("{package}/{}@{version}", world.name()),
        None => format!("{TEMPLATE_PACKAGE}/{}", world.name()),
    };
    let crate_name = name.replace('-', "_");
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{world}}", &world_id)
            .replace("{{kind}}", world.name())
    };
    let input = match world {
        World::Automation => "sample-events.jsonl",
        World::Macros | World::ChannelAdapter => "sample-requests.jsonl",
    };
    let (needs, build, component) = match lang {
        Lang::Rust => (
            "Rust with the wasm32-wasip2 target (`rustup target add wasm32-wasip2`)",
            // `--target-dir target`: the run command's path holds even where the
            // integrator has set another Cargo target directory. `--locked`: the
            // versions of the template's Cargo.lock, which guichet tests.
            "cargo build --release --target wasm32-wasip2 --target-dir target --locked".to_string(),
            format!("target/wasm32-wasip2/release/{crate_name}.wasm"),
        ),
        Lang::Python => (
            "componentize-py 0.25.1 (`pip install componentize-py==0.25.1`)",
            format!("componentize-py -d wit -w {world_id} componentize app -o {name}.wasm"),
            format!("{name}.wasm"),
        ),
        Lang::Js => (
            "Node.js 20 or later with npm (the build installs componentize-js 0.23)",
            "npm install && npm run build".to_string(),
            format!("{name}.wasm"),
        ),
    };
    let run = format!("guichet plugin run {component} --events {input} --config config.json");
    let readme = format!(
        "# {name}\n\nA guichet `{kind}` plugin in {lang}, made by `guichet plugin new`.\n\n\
         Needs {needs}. Build it, then run it on the sample input:\n\n\
         ```sh\n{build}\n{run}\n```\n\n\
         `wit/` is the plugin contract ({TEMPLATE_PACKAGE}); `config.json` is the plugin's \
         configuration, which the host passes to it unchanged once the plugin's \
         `check-config` (in `src/lib.rs`, `app.py` or `plugin.js`) has found no problem \
         in it.\n",
        kind = world.name(),
    );
    let gitignore = "target/\nnode_modules/\n__pycache__/\n*.wasm\n";

    let mut files: Vec<(String, String)> = Vec::new();
    for file in sources(lang, world).iter().chain(&samples(world)) {
        files.push((file.path.to_string(), fill(file.contents)));
    }
    for file in &WIT {
        files.push((file.path.to_string(), file.contents.to_string()));
    }
    files.push(("README.md".to_string(), readme));
    files.push((".gitignore".to_string(), gitignore.to_string()));

    for (relative, contents) in files {
        let path = dir.join(&relative);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // `create_new`: never overwrite a file, even one that appeared since the
            // emptiness check or in a folder that could not be listed.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            std::io::Write::write_all(&mut file, contents.as_bytes())
        };
        write().map_err(|source| TemplateError::Write {
            path: path.clone(),
            source,
        })?;
    }
    Ok(Project {
        dir: dir.to_path_buf(),
        needs,
        build,
        run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["vip", "vip-routing", "sla2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            "Vip",
            "2fa",
            "vip_routing",
            "vip-",
            "a--b",
            "../x",
            "vip routing",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_template_is_filled_in_and_an_existing_project_is_not_overwritten() {
        let root = std::env::temp_dir().join(format!("guichet-templates-{}", std::process::id()));
        for lang in Lang::ALL {
            for world in [World::Automation, World::Macros, World::ChannelAdapter] {
                let dir = root.join(format!("{lang}-{}", world.name()));
                let project = create("my-plugin", lang, world, &dir).unwrap();
                assert!(dir.join("wit/worlds.wit").exists());
                assert!(dir.join("config.json").exists());
                for entry in walk(&dir) {
                    let text = std::fs::read_to_string(&entry).unwrap();
                    assert!(
                        !text.contains("{{"),
                        "{} keeps a placeholder",
                        entry.display()
                    );
                }
                assert!(project.run.contains("--config config.json"));
                let again = create("my-plugin", lang, world, &dir).unwrap_err();
                assert!(matches!(again, TemplateError::NotEmpty(_)), "{again}");
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_embedded_contract_is_the_one_the_templates_target() {
        let declaration = format!("package {TEMPLATE_PACKAGE};");
        let types = WIT.iter().find(|f| f.path == "wit/types.wit").unwrap();
        assert!(types.contents.contains(&declaration), "{declaration}");
        for file in WIT.iter().filter(|f| f.path.ends_with(".wit")) {
            for line in file.contents.lines() {
                let line = line.trim_start();
                if line.starts_with("package ") {
                    assert_eq!(line, declaration, "{}", file.path);
                }
            }
        }
        let root =
            std::env::temp_dir().join(format!("guichet-template-world-{}", std::process::id()));
        let dir = root.join("adapter");
        create("my-adapter", Lang::Js, World::ChannelAdapter, &dir).unwrap();
        let package = std::fs::read_to_string(dir.join("package.json")).unwrap();
        let (name, version) = TEMPLATE_PACKAGE.split_once('@').unwrap();
        assert!(
            package.contains(&format!("{name}/channel-adapter@{version}")),
            "{package}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }
}
