//! `user create`: an account with a password, the way the first admin comes to exist (there is
//! no default password). The password comes from a file or a prompt on the terminal, never
//! from a flag (`ps` shows flags) and is never printed; one the policy refuses is refused here.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::app::Core;
use super::args::UserCommand;
use super::config::Config;
use super::BoxError;
use crate::core::password::{Password, PasswordPolicy};
use crate::core::{Error, Principal, Role, UserInput};

/// The subject `user create` writes as (`created_by` of the account).
const ACTOR: &str = "campushub-cli";

/// Runs `command`.
pub(super) async fn run(command: &UserCommand, config: &Config) -> Result<(), BoxError> {
    match command {
        UserCommand::Create {
            email,
            display_name,
            roles,
            student,
            faculty,
            password_file,
        } => {
            let password = match password_file {
                Some(file) => read_password_file(file)?,
                None => prompt_password()?,
            };
            PasswordPolicy::default()
                .check(&password, email)
                .map_err(|violation| format!("the password is refused: {violation}"))?;
            let account = Account {
                email,
                display_name: display_name.as_deref(),
                roles: &roles.roles,
                student_id: *student,
                faculty_id: *faculty,
            };
            create(config, &account, password).await
        }
    }
}

/// The account `user create` makes.
struct Account<'a> {
    email: &'a str,
    display_name: Option<&'a str>,
    roles: &'a [Role],
    student_id: Option<uuid::Uuid>,
    faculty_id: Option<uuid::Uuid>,
}

async fn create(
    config: &Config,
    account: &Account<'_>,
    password: Password,
) -> Result<(), BoxError> {
    let core = Core::open(config).await?;
    let email = account.email;
    let input = UserInput {
        email: email.to_owned(),
        display_name: account.display_name.unwrap_or(email).to_owned(),
        roles: account
            .roles
            .iter()
            .map(|role| role.as_str().to_owned())
            .collect(),
        student_id: account.student_id,
        faculty_id: account.faculty_id,
        is_active: true,
    };
    let actor = Principal::new(ACTOR, [Role::ADMIN]);
    let created = match core.accounts.users.create(&actor, input).await {
        Ok(created) => created.record,
        Err(Error::Conflict { field, .. }) if field == "email" => {
            return Err(format!("an account with the email `{email}` exists already").into())
        }
        Err(error) => return Err(error.into()),
    };
    core.accounts
        .sign_in
        .set_password(created.meta.id, password)
        .await?;
    println!(
        "created user {} ({}) with roles {}",
        created.meta.id,
        created.email,
        created.roles.join(",")
    );
    Ok(())
}

/// The password in `file` (`-`: standard input), without its trailing newline.
fn read_password_file(file: &Path) -> Result<Password, BoxError> {
    let text = if file == Path::new("-") {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the password file `{}`: {e}", file.display()))?
    };
    Ok(Password::new(text.trim_end_matches(['\n', '\r'])))
}

/// Asks for the password twice on the terminal, without echo.
fn prompt_password() -> Result<Password, BoxError> {
    if !std::io::stdin().is_terminal() {
        return Err("no terminal to ask for the password on: give --password-file FILE (or - for standard input)".into());
    }
    let first = prompt("password: ")?;
    let second = prompt("again: ")?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(Password::new(first))
}

/// One line read from the terminal with echo off (`stty -echo`, restored afterwards).
fn prompt(label: &str) -> Result<String, BoxError> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{label}")?;
    stderr.flush()?;
    let echo = |on: bool| {
        std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status()
            .map(|status| status.success())
            .unwrap_or(false)
    };
    let hidden = echo(false);
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        echo(true);
    }
    writeln!(stderr)?;
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
