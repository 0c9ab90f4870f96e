//! clan-core's built-in legacy clanModules and what became of each, as clan-core's migration
//! guide ("Migrate Inventory Services", its table "Migration Status of clanModules") lists
//! them: a legacy `services.<module>.<instance>` whose module the flake does not define itself
//! (no `inventory.modules.<module>`) used clan-core's clanModule of that name, which clan-core
//! removed in 2025.
//!
//! Guarantees: the table holds every row of the guide, no other name; a migrated module maps
//! to the clan.service of the same name in clan-core, and the instance to the one flat name
//! the guide gives (`borgbackup.simple` → `borgbackup-simple`); every other module comes with
//! the guide's advice, quoted in the refusal.

/// What clan-core's guide says became of one of its legacy clanModules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Migrated to the clan.service of the same name in clan-core.
    Service,
    /// Replaced by a clan.service of another name (the guide's "Migrated" with a link there).
    Replaced { service: &'static str },
    /// Now an option of `clan.core` (the guide's "Migrated … Now an option").
    Option,
    /// Removed; some with the guide's pointer to a replacement service.
    Removed { instead: Option<&'static str> },
}

/// The guide's table, in its order.
const TABLE: [(&str, Fate); 40] = [
    ("admin", Fate::Service),
    ("auto-upgrade", Fate::Removed { instead: None }),
    ("borgbackup-static", Fate::Removed { instead: None }),
    ("borgbackup", Fate::Service),
    ("data-mesher", Fate::Service),
    ("deltachat", Fate::Removed { instead: None }),
    ("disk-id", Fate::Removed { instead: None }),
    ("dyndns", Fate::Service),
    ("ergochat", Fate::Removed { instead: None }),
    ("garage", Fate::Service),
    ("golem-provider", Fate::Removed { instead: None }),
    ("heisenbridge", Fate::Removed { instead: None }),
    ("importer", Fate::Service),
    (
        "iwd",
        Fate::Removed {
            instead: Some("wifi"),
        },
    ),
    ("localbackup", Fate::Service),
    ("localsend", Fate::Removed { instead: None }),
    ("machine-id", Fate::Option),
    ("matrix-synapse", Fate::Service),
    ("moonlight", Fate::Removed { instead: None }),
    ("mumble", Fate::Removed { instead: None }),
    ("mycelium", Fate::Service),
    ("nginx", Fate::Removed { instead: None }),
    ("packages", Fate::Service),
    ("postgresql", Fate::Option),
    ("root-password", Fate::Replaced { service: "users" }),
    ("single-disk", Fate::Removed { instead: None }),
    ("sshd", Fate::Service),
    ("state-version", Fate::Option),
    ("static-hosts", Fate::Removed { instead: None }),
    ("sunshine", Fate::Removed { instead: None }),
    ("syncthing-static-peers", Fate::Removed { instead: None }),
    ("syncthing", Fate::Service),
    ("thelounge", Fate::Removed { instead: None }),
    ("trusted-nix-caches", Fate::Service),
    ("user-password", Fate::Replaced { service: "users" }),
    ("vaultwarden", Fate::Removed { instead: None }),
    ("xfce", Fate::Removed { instead: None }),
    ("zerotier-static-peers", Fate::Removed { instead: None }),
    ("zerotier", Fate::Service),
    ("zt-tcp-relay", Fate::Removed { instead: None }),
];

/// The flake input clan-core's services are taken from, as the guide writes it.
pub const INPUT: &str = "clan-core";

/// What became of clan-core's legacy clanModule `module`, or `None` when clan-core never had
/// one of that name.
pub fn fate(module: &str) -> Option<Fate> {
    TABLE.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

/// The name of the `instances` entry a legacy instance of a clan-core module becomes: the
/// guide flattens each service-instance pair (`borgbackup.simple` → `borgbackup-simple`).
pub fn target(module: &str, instance: &str) -> String {
    format!("{module}-{instance}")
}

/// The guide's advice for a module it does not map to the clan.service of the same name, or
/// `None` for those it does.
pub fn advice(module: &str) -> Option<String> {
    Some(match fate(module)? {
        Fate::Service => return None,
        Fate::Replaced { service } => {
            let user = if module == "root-password" {
                format!(
                    "`roles.default.settings = {{ user = \"root\"; prompt = false; }};` (the `{service}` service's \"Migration from root-password module\")"
                )
            } else {
                "the user's name in `roles.default.settings.user`".to_string()
            };
            format!(
                "clan-core's migration guide: `{module}` was migrated to its clan.service `{service}`; write an instance with `module = {{ name = \"{service}\"; input = \"{INPUT}\"; }};` and {user}, then delete this one"
            )
        }
        Fate::Option => format!(
            "clan-core's migration guide: `{module}` was migrated to an option of `clan.core` (\"Now an option\", see clan.core settings); set it in the machines' configuration, then delete this instance"
        ),
        Fate::Removed {
            instead: Some(service),
        } => format!(
            "clan-core's migration guide: `{module}` was removed; \"Use {service} service instead\" (`module = {{ name = \"{service}\"; input = \"{INPUT}\"; }};`), then delete this instance"
        ),
        Fate::Removed { instead: None } => format!(
            "clan-core's migration guide: `{module}` was removed, with no replacement; configure it in a NixOS module of the machines (their configuration, or an `extraModules` entry), then delete this instance"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_migrates_fourteen_modules_to_services_of_the_same_name() {
        let migrated: Vec<&str> = TABLE
            .iter()
            .filter(|(_, f)| *f == Fate::Service)
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(
            migrated,
            [
                "admin",
                "borgbackup",
                "data-mesher",
                "dyndns",
                "garage",
                "importer",
                "localbackup",
                "matrix-synapse",
                "mycelium",
                "packages",
                "sshd",
                "syncthing",
                "trusted-nix-caches",
                "zerotier"
            ]
        );
        for (m, _) in TABLE.iter().filter(|(_, f)| *f == Fate::Service) {
            assert_eq!(advice(m), None);
        }
    }

    #[test]
    fn every_other_row_has_advice_and_names_are_unique() {
        let mut names: Vec<&str> = TABLE.iter().map(|(m, _)| *m).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
        assert_eq!(
            fate("root-password"),
            Some(Fate::Replaced { service: "users" })
        );
        assert_eq!(
            fate("user-password"),
            Some(Fate::Replaced { service: "users" })
        );
        assert_eq!(fate("my-own-module"), None);
        assert!(advice("iwd").is_some_and(|a| a.contains("wifi")));
        assert!(advice("root-password").is_some_and(|a| a.contains("\"users\"")));
        let removed = TABLE
            .iter()
            .filter(|(_, f)| matches!(f, Fate::Removed { .. }))
            .count();
        assert_eq!(removed, 21);
        assert_eq!(target("borgbackup", "simple"), "borgbackup-simple");
    }
}
