//! Reading one source file into the paths it names: comments, string and character literals
//! and `#[cfg(test)]` items are dropped, then every `use` tree and every `crate::`, `super::`
//! or `self::` path in code is listed with its line.

/// A path one file names, as written (`["super", "state", "ApiState"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The path's segments; a glob (`use x::*`) ends at the module it reads.
    pub path: Vec<String>,
    /// The name a `use` binds in the file's module (after `as`); `None` for a path in code
    /// and for a glob.
    pub binds: Option<String>,
    /// 1-based line of the path's first segment.
    pub line: usize,
}

/// What one file tells the checker.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Every path the file names, outside test-only items.
    pub references: Vec<Reference>,
    /// Modules the file declares `#[cfg(test)] mod name;` (their files are test code).
    pub test_modules: Vec<String>,
}

/// Scans one file's source.
pub fn scan(source: &str) -> Scanned {
    let (tokens, test_modules) = strip_test_items(tokenize(source));
    let mut scanned = Scanned {
        references: Vec::new(),
        test_modules,
    };
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].text == "use" && tokens.get(i + 1).is_some_and(|t| t.text != "<") {
            i = use_tree(&tokens, i + 1, &mut Vec::new(), &mut scanned.references);
        } else if is_path_start(&tokens, i) {
            let (path, next) = plain_path(&tokens, i);
            let line = tokens[i].line;
            scanned.references.push(Reference {
                path,
                binds: None,
                line,
            });
            i = next;
        } else {
            i += 1;
        }
    }
    scanned
}

/// One token: an identifier (or keyword, or number), `::`, or one punctuation character.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
}

/// Splits source into tokens, leaving out whitespace, comments (doc comments too) and
/// string, byte-string, raw-string and character literals; lifetimes lose their quote.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                } else if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(end) = string_end(&chars, i) {
            line += chars[i..end].iter().filter(|&&c| c == '\n').count();
            i = end;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a), which keeps its name.
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(Token { text, line });
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// Where the string literal starting at `i` ends (one past its closing quote), if one
/// starts there: `"…"`, `b"…"`, `r"…"`, `r#"…"#`, `br#"…"#`, `c"…"`.
fn string_end(chars: &[char], i: usize) -> Option<usize> {
    let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if previous_is_ident {
        return None;
    }
    let mut k = i;
    if matches!(chars.get(k), Some('b' | 'c')) {
        k += 1;
    }
    let raw = chars.get(k) == Some(&'r');
    if raw {
        k += 1;
    }
    let hashes = chars[k..].iter().take_while(|&&c| c == '#').count();
    k += hashes;
    if chars.get(k) != Some(&'"') || (!raw && hashes > 0) {
        return None;
    }
    k += 1;
    while k < chars.len() {
        if !raw && chars[k] == '\\' {
            k += 2;
        } else if chars[k] == '"'
            && chars[k + 1..].iter().take_while(|&&c| c == '#').count() >= hashes
        {
            return Some(k + 1 + hashes);
        } else {
            k += 1;
        }
    }
    Some(chars.len())
}

/// Drops every item that follows `#[cfg(test)]` (up to its `;`, or through its `{ … }`
/// block); returns the tokens kept and the names of the test-only `mod name;` declarations.
fn strip_test_items(tokens: Vec<Token>) -> (Vec<Token>, Vec<String>) {
    let (mut kept, mut test_modules) = (Vec::with_capacity(tokens.len()), Vec::new());
    let mut i = 0;
    while i < tokens.len() {
        if !is_cfg_test(&tokens, i) {
            kept.push(tokens[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        // Other attributes on the same item, then its visibility.
        while tokens.get(i).is_some_and(|t| t.text == "#") {
            i = skip_balanced(&tokens, i + 1);
        }
        let mut item = i;
        if tokens.get(item).is_some_and(|t| t.text == "pub") {
            item += 1;
            if tokens.get(item).is_some_and(|t| t.text == "(") {
                item = skip_balanced(&tokens, item);
            }
        }
        let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
        if text(item) == "mod" && text(item + 2) == ";" {
            test_modules.push(text(item + 1).to_string());
        }
        let mut depth = 0usize;
        while let Some(token) = tokens.get(i) {
            match token.text.as_str() {
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                ";" if depth == 0 => break,
                "{" if depth == 0 => {
                    i = skip_balanced(&tokens, i) - 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    (kept, test_modules)
}

/// Whether `#[cfg(test)]` starts at `i`.
fn is_cfg_test(tokens: &[Token], i: usize) -> bool {
    let expected = ["#", "[", "cfg", "(", "test", ")", "]"];
    tokens.len() >= i + expected.len()
        && expected.iter().zip(&tokens[i..]).all(|(e, t)| t.text == *e)
}

/// From an opening bracket at `i`, the index after its matching closing one.
fn skip_balanced(tokens: &[Token], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some(token) = tokens.get(i) {
        match token.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Whether a `crate::`, `super::` or `self::` path starts at `i` (not `$crate::`, not the
/// tail of a longer path).
fn is_path_start(tokens: &[Token], i: usize) -> bool {
    matches!(tokens[i].text.as_str(), "crate" | "super" | "self")
        && tokens.get(i + 1).is_some_and(|t| t.text == "::")
        && (i == 0 || !matches!(tokens[i - 1].text.as_str(), "::" | "$"))
}

/// The path starting at `i` in code (`crate::a::b::<T>` gives `crate, a, b`), and the index
/// after it.
fn plain_path(tokens: &[Token], mut i: usize) -> (Vec<String>, usize) {
    let mut path = vec![tokens[i].text.clone()];
    while tokens.get(i + 1).is_some_and(|t| t.text == "::")
        && tokens.get(i + 2).is_some_and(|t| is_ident(&t.text))
    {
        path.push(tokens[i + 2].text.clone());
        i += 2;
    }
    (path, i + 1)
}

/// Reads the use tree starting at `i` (after `use`, or inside `{ … }`) under `prefix`, adding
/// one reference per leaf; returns the index after the tree's `;`, `,` or `}`.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<Reference>,
) -> usize {
    let depth = prefix.len();
    if tokens.get(i).is_some_and(|t| t.text == "::") {
        i += 1; // `use ::std::…`: an external crate; the empty first segment keeps it so.
        prefix.push(String::new());
    }
    let line = tokens.get(i).map_or(0, |t| t.line);
    while let Some(token) = tokens.get(i) {
        match token.text.as_str() {
            "{" => {
                i += 1;
                while tokens.get(i).is_some_and(|t| t.text != "}") {
                    i = use_tree(tokens, i, prefix, out);
                }
                i += 1;
            }
            "*" => {
                out.push(Reference {
                    path: prefix.clone(),
                    binds: None,
                    line,
                });
                i += 1;
            }
            "::" => i += 1,
            "as" => {
                let alias = tokens.get(i + 1).map(|t| t.text.clone());
                // `as` follows the leaf just read.
                if let Some(leaf) = out.last_mut() {
                    leaf.binds = alias.filter(|a| a != "_");
                }
                i += 2;
            }
            "," | ";" | "}" => {
                if token.text != "}" {
                    i += 1;
                }
                break;
            }
            name if is_ident(name) => {
                prefix.push(name.to_string());
                if tokens.get(i + 1).is_none_or(|t| t.text != "::") {
                    // A leaf: `a::b` binds `b`; `a::{self}` binds `a`.
                    let mut path = prefix.clone();
                    if name == "self" {
                        path.pop();
                    }
                    let binds = path.last().cloned();
                    out.push(Reference {
                        path,
                        binds,
                        line: token.line,
                    });
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    prefix.truncate(depth);
    i
}

/// Whether a token is an identifier or keyword (not punctuation, not a number).
fn is_ident(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Vec<String> {
        scan(source)
            .references
            .iter()
            .map(|r| r.path.join("::"))
            .collect()
    }

    #[test]
    fn use_trees_are_flattened_with_their_bindings() {
        let scanned = scan("use crate::a::{b::{C, D as E}, f, self as a2};\nuse super::g::*;");
        let found: Vec<(String, Option<String>, usize)> = scanned
            .references
            .iter()
            .map(|r| (r.path.join("::"), r.binds.clone(), r.line))
            .collect();
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            found,
            vec![
                ("crate::a::b::C".into(), some("C"), 1),
                ("crate::a::b::D".into(), some("E"), 1),
                ("crate::a::f".into(), some("f"), 1),
                ("crate::a".into(), some("a2"), 1),
                ("super::g".into(), None, 2),
            ]
        );
    }

    #[test]
    fn paths_in_code_are_found_but_not_in_comments_strings_or_macros() {
        let source = r##"
            //! Uses crate::doc::Thing.
            /// See [`crate::doc::Other`].
            /* crate::block /* nested crate::x */ */
            fn f<'a>(s: &'a str) -> crate::real::Type {
                let _ = "crate::in_string";
                let _ = r#"crate::raw "quoted""#;
                let _ = '"';
                $crate::macro_path::x();
                super::sibling::call::<u8>();
                Self::method(); x::crate_like::y();
            }
        "##;
        assert_eq!(
            paths(source),
            vec!["crate::real::Type", "super::sibling::call"]
        );
    }

    #[test]
    fn test_only_items_and_modules_are_left_out() {
        let source = "
            #[cfg(test)]
            mod tests { use crate::only_tests::X; }
            #[cfg(test)]
            #[allow(dead_code)]
            fn helper() -> [u8; 2] { crate::only_tests::y() }
            #[cfg(test)]
            pub(crate) mod fixtures;
            use crate::kept::Z;
        ";
        let scanned = scan(source);
        assert_eq!(paths(source), vec!["crate::kept::Z"]);
        assert_eq!(scanned.test_modules, vec!["fixtures".to_string()]);
    }
}
