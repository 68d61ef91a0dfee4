"""UI text in German and English. Pages look strings up by key; nothing else lives here."""

from __future__ import annotations

import re

import streamlit as st

TEXT: dict[str, dict[str, str]] = {
    # the print and post formats (ui/publish.py)
    "publish_show": {"de": "Druck- und Post-Formate ansehen", "en": "Show print and post formats"},
    "publish_alt": {"de": "Alternativtext", "en": "Alt text"},
    "publish_files": {"de": "Dateien einzeln", "en": "Files one by one"},
    "publish_read_pending": {
        "de": "Leichte Sprache: noch nicht von Prüflesenden geprüft (DIN SPEC 33429). Plakat, "
        "Sharepic und Brief sagen das, bis die Prüfung eingetragen ist.",
        "en": "Easy-to-read German: not yet checked by test readers (DIN SPEC 33429). Poster, "
        "sharepic and letter say so until the check is recorded.",
    },
    "publish_read_done": {
        "de": "Prüflesung dieser Fassung eingetragen (DIN SPEC 33429).",
        "en": "Test reading of this revision recorded (DIN SPEC 33429).",
    },
    "publish_read_button": {"de": "Prüflesung erfolgt", "en": "Test reading done"},
    # the pretest section of the Packs page (ui/pretest.py)
    "pt_title": {"de": "Vortest mit Lesenden", "en": "Pretest with readers"},
    "pt_intro": {
        "de": "Zwei bis vier Fassungen einer Nachricht vor der Kampagne von echten Lesenden "
        "bewerten lassen: mit LimeSurvey oder auf Papier. Jede Person bewertet jede Fassung, in "
        "einer zufälligen, festgehaltenen Reihenfolge.",
        "en": "Have two to four versions of a message rated by real readers before the "
        "campaign: in LimeSurvey or on paper. Everyone rates every version, in a random order "
        "that is recorded.",
    },
    "pt_new": {"de": "Neuen Vortest anlegen", "en": "New pretest"},
    "pt_none": {
        "de": "Diese Kampagne hat noch keinen Vortest.",
        "en": "This campaign has no pretest yet.",
    },
    "pt_pick": {"de": "Vortest", "en": "Pretest"},
    "pt_languages": {"de": "Sprachen des Vortests", "en": "Languages to test in"},
    "pt_versions": {"de": "Fassungen (2 bis 4)", "en": "Versions (2 to 4)"},
    "pt_too_few": {
        "de": "Für diese Nachricht gibt es in den gewählten Sprachen keine zwei Fassungen. "
        "Erzeugen Sie Varianten (Kampagnendatei: variants) oder wählen Sie andere Sprachen.",
        "en": "This message has no two versions in the chosen languages. Generate variants "
        "(campaign file: variants) or choose other languages.",
    },
    "pt_choice_current": {"de": "Variante {variant}", "en": "Variant {variant}"},
    "pt_choice_composed": {
        "de": "Variante {variant}, aus der Botschaftskarte zusammengesetzt",
        "en": "Variant {variant}, composed from the message map",
    },
    "pt_hoped": {
        "de": "Kleinster Unterschied, den der Vortest finden soll",
        "en": "Smallest difference the pretest should find",
    },
    "pt_hoped_0.2": {"de": "klein (dz = 0,2)", "en": "small (dz = 0.2)"},
    "pt_hoped_0.5": {"de": "mittel (dz = 0,5)", "en": "medium (dz = 0.5)"},
    "pt_hoped_0.8": {"de": "groß (dz = 0,8)", "en": "large (dz = 0.8)"},
    "pt_needed": {
        "de": "Dafür braucht es etwa {needed} Befragte (80 % Teststärke, "
        "docs/pretest-statistics.md).",
        "en": "That takes about {needed} respondents (80 % power, docs/pretest-statistics.md).",
    },
    "pt_choice_map": {
        "de": "Variante {variant}, aus Version {map} der Botschaftskarte zusammengesetzt",
        "en": "Variant {variant}, composed from version {map} of the message map",
    },
    "pt_create": {"de": "Vortest anlegen", "en": "Create pretest"},
    "pt_created": {
        "de": "Vortest {id} angelegt, mit {forms} Reihenfolgen.",
        "en": "Pretest {id} created, with {forms} orders.",
    },
    "pt_version": {"de": "Fassung {label}", "en": "Version {label}"},
    "pt_files": {"de": "Dateien für die Befragung", "en": "Survey files"},
    "pt_files_help": {
        "de": "LimeSurvey: die .txt-Datei unter „Umfrage importieren“ laden. Papier: "
        "{forms} Bogenfassungen mit verschiedenen Reihenfolgen; Antworten in die CSV-Vorlage "
        "tippen.",
        "en": "LimeSurvey: load the .txt file with “Import survey”. Paper: {forms} forms "
        "with different orders; type the answers into the CSV template.",
    },
    "pt_answers": {"de": "Antworten einlesen", "en": "Import answers"},
    "pt_upload": {
        "de": "LimeSurvey-Antwortexport (CSV) oder ausgefüllte CSV-Vorlage",
        "en": "LimeSurvey response export (CSV) or the filled-in CSV template",
    },
    "pt_import": {"de": "Antworten einlesen", "en": "Import answers"},
    "pt_imported": {
        "de": "{respondents} Befragte aus {name} eingelesen.",
        "en": "{respondents} respondents imported from {name}.",
    },
    "pt_import_line": {
        "de": "{name}: {respondents} Befragte, eingelesen von {user} am {at}",
        "en": "{name}: {respondents} respondents, imported by {user} on {at}",
    },
    "pt_no_answers": {
        "de": "Noch keine Antworten eingelesen.",
        "en": "No answers imported yet.",
    },
    "pt_result": {"de": "Ergebnis", "en": "Result"},
    "pt_col_version": {"de": "Fassung", "en": "Version"},
    "pt_col_n": {"de": "Befragte", "en": "Respondents"},
    "pt_col_mean": {"de": "Mittelwert", "en": "Mean"},
    "pt_col_ci": {"de": "95-%-Konfidenzintervall", "en": "95 % confidence interval"},
    "pt_col_pair": {"de": "Vergleich", "en": "Comparison"},
    "pt_col_difference": {"de": "Unterschied", "en": "Difference"},
    "pt_col_p": {"de": "p (Holm)", "en": "p (Holm)"},
    "pt_winner": {
        "de": "Fassung {label} wurde deutlich besser bewertet als jede andere.",
        "en": "Version {label} was rated clearly higher than every other.",
    },
    "pt_adopt_other": {
        "de": "Keine Fassung hebt sich ab. Trotzdem übernehmen:",
        "en": "No version stands out. Adopt anyway:",
    },
    "pt_reason": {"de": "Begründung (Pflicht)", "en": "Reason (required)"},
    "pt_adopt": {
        "de": "Fassung {label} ins Paket übernehmen und freigeben",
        "en": "Adopt version {label} into the pack and approve it",
    },
    "pt_adopted": {
        "de": "Fassung {label} übernommen: Ihre Freigabe von {count} Nachricht(en) ist "
        "eingetragen, das Ergebnis steht im Prüfprotokoll.",
        "en": "Version {label} adopted: your approval of {count} message(s) is recorded, and "
        "the result is in the audit trail.",
    },
    "tagline": {
        "de": "Evidenzbasierte, einfühlsame Impfkommunikation für Gesundheitsämter",
        "en": "Evidence-based, empathetic vaccination messages for health offices",
    },
    "ui_language": {"de": "Sprache der Oberfläche", "en": "Interface language"},
    "page_write": {"de": "Nachricht schreiben", "en": "Write a message"},
    "topic": {"de": "Thema", "en": "Topic"},
    "audience": {"de": "Zielgruppe", "en": "Audience"},
    "channel": {"de": "Kanal", "en": "Channel"},
    "language": {"de": "Sprache der Nachricht", "en": "Message language"},
    "concern": {"de": "Anliegen oder Frage (optional)", "en": "Concern or question (optional)"},
    "concern_help": {
        "de": "Zum Beispiel: „Ist die Impfung in der Schwangerschaft sicher?“",
        "en": "For example: “Is the vaccine safe in pregnancy?”",
    },
    "generate": {"de": "Nachricht erstellen", "en": "Write message"},
    "writing": {"de": "Clarion schreibt …", "en": "Clarion is writing …"},
    "message": {"de": "Nachricht", "en": "Message"},
    "citations": {"de": "Quellen", "en": "Sources"},
    "evidence": {"de": "Gefundene Evidenz", "en": "Retrieved evidence"},
    "model": {"de": "Modell", "en": "Model"},
    "store": {"de": "Wissensspeicher", "en": "Knowledge store"},
    "template": {"de": "Vorlage", "en": "Template"},
    # Templates page
    "facts": {"de": "Kampagnen-Fakten", "en": "Campaign facts"},
    "facts_help": {
        "de": "Termine, Orte, Kosten und Kontakte setzt Clarion selbst ein – "
        "das Modell erfindet sie nie.",
        "en": "Clarion puts in dates, places, costs and contacts itself – "
        "the model never invents them.",
    },
    "fact_what": {"de": "Was (Impfung, Aktion)", "en": "What (vaccine, campaign)"},
    "fact_who": {"de": "Für wen", "en": "Who it is for"},
    "fact_when": {"de": "Wann", "en": "When"},
    "fact_where": {"de": "Wo (Adresse)", "en": "Where (address)"},
    "fact_cost": {"de": "Kosten", "en": "Cost"},
    "fact_booking": {"de": "Termin buchen (Telefon, Link)", "en": "How to book (phone, link)"},
    "fact_contact": {"de": "Kontakt", "en": "Contact"},
    "fact_source": {"de": "Empfehlung (Quelle)", "en": "Recommendation (source)"},
    "facts_translated": {
        "de": "Dieselben Fakten in der Sprache der Nachricht",
        "en": "The same facts in the message's language",
    },
    "facts_translated_help": {
        "de": "Nur für Nachrichten, die nicht auf Deutsch sind. Was hier fehlt, bleibt in der "
        "Nachricht auf Deutsch stehen, und Clarion weist darauf hin.",
        "en": "Only for messages not in German. What is missing here stays in German in the "
        "message, and Clarion says so.",
    },
    # Write page: the composed message and the model's version
    "composed_label": {
        "de": "Aus der Botschaftskarte zusammengesetzt",
        "en": "Composed from the message map",
    },
    "concern_answered": {
        "de": "Beantwortetes Anliegen: {concern}",
        "en": "Concern answered: {concern}",
    },
    "concern_general": {
        "de": "Kein bestimmtes Anliegen erkannt: die allgemeinen Kernbotschaften.",
        "en": "No particular concern recognised: the general key messages.",
    },
    "map_used": {"de": "Botschaftskarte {map}", "en": "Message map {map}"},
    "note_untranslated_facts": {
        "de": "Die Fakten haben keinen Text in der Sprache „{language}“ für {fields}: Dort "
        "steht in der Nachricht der deutsche Text. Ergänzen Sie ihn unter „Dieselben Fakten in "
        "der Sprache der Nachricht“, oder prüfen Sie, ob die Leser ihn verstehen.",
        "en": "The facts have no “{language}” text for {fields}: the message shows the German "
        "text there. Add it under “The same facts in the message's language”, or check that "
        "readers understand it.",
    },
    "note_no_room": {
        "de": "Das Anliegen fragt nach {fields} aus den Fakten, aber die Nachricht ({channel}) hat "
        "neben der Kernbotschaft keinen Platz dafür: Ergänzen Sie es selbst, oder wählen Sie "
        "einen längeren Kanal.",
        "en": "The concern asks for the fact sheet's {fields}, but the {channel} has no room for "
        "it next to the main key message: add it by hand, or use a longer channel.",
    },
    "note_campaign_dates": {
        "de": "Die Botschaftskarte sagt „{statement}“, die Aktion läuft aber {when}: Die Aussage "
        "ist weggelassen. Prüfen Sie, ob die Nachricht noch sagt, was Sie meinen.",
        "en": "The map says “{statement}”, but the campaign runs {when}: the statement is left "
        "out. Check that the message still says what you mean.",
    },
    "key_messages": {
        "de": "Verwendete Kernbotschaften ({count})",
        "en": "Key messages used ({count})",
    },
    "version": {"de": "Fassung", "en": "Version"},
    "version_composed": {"de": "Zusammengesetzt", "en": "Composed"},
    "version_model": {"de": "Modell", "en": "Model"},
    "chosen_composed": {
        "de": "Gewählt: die zusammengesetzte Fassung",
        "en": "Chosen: the composed version",
    },
    "chosen_model": {"de": "Gewählt: die Fassung des Modells", "en": "Chosen: the model's version"},
    "model_chosen_anyway": {
        "de": "Diese Fassung hat Prüfungen nicht bestanden; Clarion empfiehlt die "
        "zusammengesetzte.",
        "en": "This version failed checks; Clarion recommends the composed one.",
    },
    "other_composed": {"de": "Zusammengesetzte Fassung", "en": "Composed version"},
    "other_model": {
        "de": "Fassung des Modells (hat alle Prüfungen bestanden)",
        "en": "The model's version (passed every check)",
    },
    "model_version": {"de": "Fassung des Modells", "en": "The model's version"},
    "model_not_used": {
        "de": "Fassung des Modells – nicht verwendet",
        "en": "The model's version – not used",
    },
    "not_used_because": {"de": "Nicht verwendet, weil:", "en": "Not used because:"},
    "check_model_answer": {"de": "Antwort des Modells", "en": "The model's answer"},
    "refused_sentences": {
        "de": "Abgelehnte Sätze ({count}), im Text rot markiert:",
        "en": "Refused sentences ({count}), marked red in the text:",
    },
    "refused_not_in_text": {"de": "nicht mehr im Text", "en": "no longer in the text"},
    "ask_model": {"de": "Modell-Fassung anfordern", "en": "Ask the model for its version"},
    "ask_model_help": {
        "de": "Das Modell formuliert die Kernbotschaften für Zielgruppe und Anliegen neu. Clarion "
        "verwendet seine Fassung nur, wenn sie alle Prüfungen besteht und die Kernbotschaften "
        "behält.",
        "en": "The model rewrites the key messages for the audience and concern. Clarion uses "
        "its version only if it passes every check and keeps the key messages.",
    },
    "model_never": {
        "de": "Das Modell wird nicht gefragt (Einstellung CLARION_ASK_MODEL=never).",
        "en": "The model is not asked (setting CLARION_ASK_MODEL=never).",
    },
    "score": {"de": "Prüfwert", "en": "Check score"},
    "checks": {"de": "Prüfungen", "en": "Checks"},
    "edit": {"de": "Text bearbeiten", "en": "Edit the text"},
    "recheck": {"de": "Erneut prüfen", "en": "Check again"},
    "repaired": {
        "de": "Nach {rounds} Überarbeitungsrunde(n) anhand der Prüfungen.",
        "en": "After {rounds} repair round(s) driven by the checks.",
    },
    "flagged": {
        "de": "enthielt Anweisungen an das Modell (entfernt)",
        "en": "contained instructions to the model (removed)",
    },
    "page_knowledge": {"de": "Wissen", "en": "Knowledge"},
    "kn_intro": {
        "de": "Die Evidenz, auf die sich Nachrichten stützen: der mitgelieferte Korpus und Ihre "
        "eigenen Dokumente.",
        "en": "The evidence messages rest on: the shipped corpus and your own documents.",
    },
    "kn_upload": {"de": "Hochladen", "en": "Upload"},
    "kn_sources": {"de": "Quellen", "en": "Sources"},
    "kn_search": {"de": "Suchen", "en": "Search"},
    "kn_upload_files": {
        "de": "PDF, DOCX, HTML, Markdown oder Text (höchstens 20 MB je Datei)",
        "en": "PDF, DOCX, HTML, Markdown or text (at most 20 MB per file)",
    },
    "kn_add": {"de": "Zum Wissen hinzufügen", "en": "Add to knowledge"},
    "kn_progress": {"de": "{done} von {total} Dateien", "en": "{done} of {total} files"},
    "kn_added": {
        "de": "{name}: {status} ({chunks} Abschnitte)",
        "en": "{name}: {status} ({chunks} passages)",
    },
    "kn_failed": {"de": "{name}: {error}", "en": "{name}: {error}"},
    "kn_count": {
        "de": "{sources} Quellen, {chunks} Abschnitte",
        "en": "{sources} sources, {chunks} passages",
    },
    "kn_col_title": {"de": "Titel", "en": "Title"},
    "kn_col_kind": {"de": "Art", "en": "Kind"},
    "kn_col_language": {"de": "Sprache", "en": "Language"},
    "kn_col_date": {"de": "Datum", "en": "Date"},
    "kn_col_chunks": {"de": "Abschnitte", "en": "Passages"},
    "kn_col_origin": {"de": "Herkunft", "en": "Origin"},
    "kn_open": {"de": "Quelle öffnen", "en": "Open a source"},
    "kn_corpus_note": {
        "de": "Teil des mitgelieferten Korpus: nach dem Löschen stellt `make run` sie wieder her.",
        "en": "Part of the shipped corpus: after deleting, `make run` restores it.",
    },
    "kn_delete": {"de": "Quelle löschen", "en": "Delete source"},
    "kn_deleted": {
        "de": "{name} gelöscht ({chunks} Abschnitte).",
        "en": "Deleted {name} ({chunks} passages).",
    },
    "kn_col_review": {"de": "Prüfen bis", "en": "Review by"},
    "kn_overdue": {"de": "überfällig", "en": "overdue"},
    "kn_review": {"de": "Prüfdatum: {date}", "en": "Review date: {date}"},
    "kn_review_none": {"de": "keines", "en": "none"},
    "kn_review_own": {"de": "aus den Angaben der Quelle", "en": "from the source's front matter"},
    "kn_review_set_by": {"de": "gesetzt von {name}, {at}", "en": "set by {name}, {at}"},
    "kn_review_input": {"de": "Neues Prüfdatum", "en": "New review date"},
    "kn_review_set": {"de": "Prüfdatum setzen", "en": "Set review date"},
    "kn_review_clear": {
        "de": "Gesetztes Datum entfernen",
        "en": "Remove the date set here",
    },
    "kn_query": {"de": "Suchbegriff oder Frage", "en": "Search words or a question"},
    "kn_nothing": {"de": "Nichts gefunden.", "en": "Nothing found."},
    "page_templates": {"de": "Vorlagen", "en": "Templates"},
    "tpl_intro": {
        "de": "Die Prompt-Vorlagen Ihres Amts: bearbeiten, prüfen, ausprobieren, speichern. "
        "Jede Änderung wird eine neue Version; die mitgelieferten Vorlagen bleiben unverändert.",
        "en": "Your office's prompt templates: edit, check, try and save them. Every change "
        "becomes a new version; the shipped defaults stay untouched.",
    },
    "tpl_col_template": {"de": "Vorlage", "en": "Template"},
    "tpl_col_version": {"de": "Version", "en": "Version"},
    "tpl_col_action": {"de": "Art", "en": "Kind"},
    "tpl_col_author": {"de": "Autor/in", "en": "Author"},
    "tpl_col_saved": {"de": "Gespeichert (UTC)", "en": "Saved (UTC)"},
    "tpl_col_comment": {"de": "Kommentar", "en": "Comment"},
    "tpl_col_hash": {"de": "Kennung", "en": "Hash"},
    "tpl_yaml": {"de": "Vorlage (YAML)", "en": "Template (YAML)"},
    "tpl_variables": {"de": "Variablen", "en": "Variables"},
    "tpl_editing_from": {
        "de": "Bearbeitet ab Version {number}",
        "en": "Editing from version {number}",
    },
    "tpl_valid": {"de": "Die Vorlage ist gültig.", "en": "The template is valid."},
    "tpl_problems": {
        "de": "{count} Problem(e): so kann die Vorlage nicht gespeichert werden.",
        "en": "{count} problem(s): the template cannot be saved like this.",
    },
    "tpl_preview": {"de": "Vorschau mit Beispieldaten", "en": "Preview with sample data"},
    "tpl_preview_caption": {
        "de": "Die Evidenz in der Vorschau ist erfunden; sie zeigt nur, wo Abschnitte stehen.",
        "en": "The evidence in the preview is made up; it only shows where passages go.",
    },
    "tpl_try_it": {"de": "Ausprobieren (ohne Speichern)", "en": "Try it (without saving)"},
    "tpl_try_unavailable": {
        "de": "Ausprobieren geht mit Vorlagen, die die Variablen des Nachrichtenentwurfs nutzen.",
        "en": "Trying works for templates that use the message-drafting variables.",
    },
    "tpl_trial_result": {"de": "Ergebnis des Versuchs", "en": "Trial result"},
    "tpl_author": {"de": "Ihr Name", "en": "Your name"},
    "tpl_comment": {"de": "Was wurde geändert?", "en": "What changed?"},
    "tpl_save": {"de": "Als neue Version speichern", "en": "Save as a new version"},
    "tpl_saved": {
        "de": "Version {number} ist jetzt aktiv.",
        "en": "Version {number} is now current.",
    },
    "tpl_conflict": {
        "de": "Jemand hat die Vorlage inzwischen geändert: Version {number} von {author} "
        "({when}). Nichts wurde gespeichert. Unterschied zu Ihrem Text:",
        "en": "Someone changed the template meanwhile: version {number} by {author} ({when}). "
        "Nothing was saved. How your text differs:",
    },
    "tpl_load_theirs": {"de": "Deren Version laden", "en": "Load their version"},
    "tpl_keep_mine": {"de": "Meinen Text behalten", "en": "Keep my text"},
    "tpl_rebased": {
        "de": "Ihr Text basiert jetzt auf Version {number}; speichern Sie erneut, um sie zu "
        "ersetzen.",
        "en": "Your text is now based on version {number}; save again to replace it.",
    },
    "tpl_history": {"de": "Versionen", "en": "Versions"},
    "tpl_diff_old": {"de": "Von Version", "en": "From version"},
    "tpl_diff_new": {"de": "Zu Version", "en": "To version"},
    "tpl_no_difference": {"de": "(kein Unterschied)", "en": "(no difference)"},
    "tpl_revert_to": {"de": "Version wiederherstellen", "en": "Version to restore"},
    "tpl_revert": {"de": "Wiederherstellen", "en": "Restore"},
    "tpl_reset": {"de": "Auf Auslieferung zurücksetzen", "en": "Reset to the shipped default"},
    "tpl_export": {"de": "Text herunterladen", "en": "Download this text"},
    "tpl_import": {"de": "Vorlagendatei laden", "en": "Load a template file"},
    "tpl_imported": {
        "de": "Datei in den Editor geladen. Prüfen und speichern Sie sie.",
        "en": "File loaded into the editor. Review it, then save.",
    },
    "tpl_import_invalid": {
        "de": "Die Datei wurde nicht geladen:",
        "en": "The file was not loaded:",
    },
    # Sign-in and roles
    "login_title": {"de": "Anmelden", "en": "Sign in"},
    "login_name": {"de": "Benutzername", "en": "User name"},
    "login_password": {"de": "Passwort", "en": "Password"},
    "login_button": {"de": "Anmelden", "en": "Sign in"},
    "login_failed": {
        "de": "Benutzername oder Passwort ist falsch.",
        "en": "The user name or password is wrong.",
    },
    "login_throttled": {
        "de": "Zu viele Fehlversuche für diesen Namen. Versuchen Sie es in {seconds} Sekunden "
        "erneut.",
        "en": "Too many failed attempts for this name. Try again in {seconds} seconds.",
    },
    "login_no_users": {
        "de": "Es gibt noch keine Benutzer. Legen Sie einen an: "
        "`python -m comms users add NAME --role admin`",
        "en": "There are no users yet. Add one: `python -m comms users add NAME --role admin`",
    },
    "login_oidc_intro": {
        "de": "Melden Sie sich mit dem Konto Ihrer Behörde an.",
        "en": "Sign in with your office account.",
    },
    "login_oidc": {"de": "Mit Behördenkonto anmelden", "en": "Sign in with office account"},
    "login_no_role": {
        "de": "{email} ist angemeldet, hat aber keine Rolle in Clarion. Bitten Sie eine "
        "Administratorin oder einen Administrator, Sie einzutragen.",
        "en": "{email} is signed in but has no role in Clarion. Ask an administrator to add you.",
    },
    "logout": {"de": "Abmelden", "en": "Sign out"},
    "auth_signed_in": {
        "de": "Angemeldet: **{name}** ({role})",
        "en": "Signed in: **{name}** ({role})",
    },
    "auth_forbidden": {
        "de": "Ihre Rolle ({role}) darf das nicht; nötig ist die Berechtigung „{needed}“. "
        "Wenden Sie sich an eine Administratorin oder einen Administrator.",
        "en": "Your role ({role}) may not do this; it needs the permission “{needed}”. "
        "Ask an administrator.",
    },
    "kn_upload_admin_only": {
        "de": "Dokumente hinzufügen und löschen dürfen nur Administratorinnen und Administratoren.",
        "en": "Only administrators may add or delete documents.",
    },
    "rejected": {
        "de": "Verweise auf nicht gefundene Abschnitte wurden verworfen: {numbers}",
        "en": "Citations to passages that were not retrieved were rejected: {numbers}",
    },
    "error": {"de": "Das hat nicht geklappt: {error}", "en": "That did not work: {error}"},
    # Maps page
    "page_maps": {"de": "Botschaftskarten", "en": "Message maps"},
    "map_intro": {
        "de": "Die freigegebenen Kernbotschaften je Thema: drei pro Anliegen, etwa 27 Wörter "
        "zusammen, jede mit Fakten aus dem Korpus. Änderungen schlägt eine Admin-Person vor, "
        "eine zweite gibt sie frei.",
        "en": "The approved key messages per topic: three per concern, about 27 words together, "
        "each with facts from the corpus. One admin proposes a change, a second approves it.",
    },
    "map_topic": {"de": "Thema", "en": "Topic"},
    "map_concern": {"de": "Anliegen", "en": "Concern"},
    "map_overview": {"de": "Übergreifende Kernbotschaften", "en": "Overarching key messages"},
    "map_language": {"de": "Sprache der Karte", "en": "Map language"},
    "map_in_effect": {
        "de": "In Kraft: Version {number} ({hash}), freigegeben von {approver}.",
        "en": "In effect: version {number} ({hash}), approved by {approver}.",
    },
    "map_native_pending": {
        "de": "Die Texte dieser Karte auf „{language}“ hat noch niemand mit dieser Muttersprache "
        "geprüft (`native_review_pending`); Nachrichten in dieser Sprache tragen einen Hinweis.",
        "en": "No native speaker has checked this map's '{language}' texts yet "
        "(`native_review_pending`); messages in this language carry a notice.",
    },
    "map_native_check": {
        "de": "Ich lese „{language}“ als Muttersprache: Texte als geprüft vorschlagen",
        "en": "I read '{language}' natively: propose the texts as checked",
    },
    "map_pending": {
        "de": "Vorschlag wartet auf Freigabe: Version {number} von {author}.",
        "en": "Proposal waiting for approval: version {number} by {author}.",
    },
    "map_showing_edit": {
        "de": "Angezeigt wird der Text im Editor (noch nicht in Kraft).",
        "en": "Showing the text in the editor (not in effect yet).",
    },
    "map_words": {"de": "{words} Wörter", "en": "{words} words"},
    "map_grade": {"de": "{formula}: {grade}", "en": "{formula}: {grade}"},
    "map_sentence_words": {
        "de": "Wörter je Satz: {counts}",
        "en": "Words per sentence: {counts}",
    },
    "map_total": {
        "de": "Zusammen {words} Wörter (Ziel: etwa {target}).",
        "en": "Together {words} words (aim: about {target}).",
    },
    "map_no_facts": {"de": "(keine Fakten)", "en": "(no facts)"},
    "map_editor": {"de": "Bearbeiten", "en": "Edit"},
    "map_yaml": {"de": "Botschaftskarte (YAML)", "en": "Message map (YAML)"},
    "map_editing_from": {
        "de": "Bearbeitet ab Version {number}",
        "en": "Editing from version {number}",
    },
    "map_valid": {"de": "Die Karte ist gültig.", "en": "The map is valid."},
    "map_problems": {
        "de": "{count} Fehler: so kann die Karte nicht vorgeschlagen werden.",
        "en": "{count} error(s): the map cannot be proposed like this.",
    },
    "map_warnings": {"de": "{count} Hinweis(e)", "en": "{count} warning(s)"},
    "map_author": {"de": "Ihr Name", "en": "Your name"},
    "map_comment": {"de": "Was wurde geändert?", "en": "What changed?"},
    "map_propose": {"de": "Als Vorschlag speichern", "en": "Save as a proposal"},
    "map_proposed": {
        "de": "Version {number} ist vorgeschlagen; eine zweite Admin-Person muss sie freigeben.",
        "en": "Version {number} is proposed; a second admin must approve it.",
    },
    "map_approval": {"de": "Freigabe", "en": "Approval"},
    "map_approve": {"de": "Version {number} freigeben", "en": "Approve version {number}"},
    "map_approved": {
        "de": "Version {number} ist freigegeben und jetzt in Kraft.",
        "en": "Version {number} is approved and now in effect.",
    },
    "map_nothing_pending": {
        "de": "Kein Vorschlag wartet auf Freigabe.",
        "en": "No proposal is waiting for approval.",
    },
    "map_view_only": {
        "de": "Ändern und freigeben dürfen Personen mit der Rolle admin.",
        "en": "Changing and approving maps needs the admin role.",
    },
    "map_history": {"de": "Versionen", "en": "Versions"},
    "map_col_status": {"de": "Status", "en": "Status"},
    "map_col_approver": {"de": "Freigegeben von", "en": "Approved by"},
    "map_col_approved": {"de": "Freigegeben (UTC)", "en": "Approved (UTC)"},
    "map_revert": {"de": "Erneut vorschlagen", "en": "Propose again"},
    "map_preview": {"de": "Vorschau der Nachrichten", "en": "Preview of the messages"},
    "map_preview_caption": {
        "de": "So setzt Clarion die Nachricht aus der angezeigten Karte zusammen, ohne Modell.",
        "en": "How Clarion composes the message from the map shown, without a model.",
    },
    "map_draft": {
        "de": "Anliegen aus der Evidenz entwerfen",
        "en": "Draft a concern from the evidence",
    },
    "map_draft_question": {
        "de": "Neue Frage, in den Worten der Menschen",
        "en": "New question, in the words people use",
    },
    "map_draft_button": {"de": "Entwurf erstellen", "en": "Draft it"},
    "map_draft_caption": {
        "de": "Entwurf – jede Zeile prüfen, übersetzen und dann in den Editor übernehmen.",
        "en": "Draft – check every line, translate, then copy it into the editor.",
    },
    "page_system": {"de": "System", "en": "System"},
    "office_title": {"de": "Profil des Amts", "en": "Office profile"},
    "office_intro": {
        "de": "Wer Briefe, E-Mails und Telefonskripte unterschreibt: Name und Grußformel je "
        "Sprache, Anschrift, Telefon, E-Mail, Web ({path}). Ohne Profil unterschreibt „Ihr "
        "Gesundheitsamt“. Nur Admins können es ändern.",
        "en": "Who signs letters, e-mails and phone scripts: name and sign-off per language, "
        "address, phone, e-mail, web ({path}). Without a profile, messages sign “Your health "
        "office”. Only admins can change it.",
    },
    "office_none": {
        "de": "Noch kein Profil: Nachrichten unterschreibt „Ihr Gesundheitsamt“.",
        "en": "No profile yet: messages sign “Your health office”.",
    },
    "office_name": {"de": "Name des Amts ({language})", "en": "Office name ({language})"},
    "office_sign_off": {"de": "Grußformel ({language})", "en": "Sign-off ({language})"},
    "office_address": {"de": "Anschrift (eine Zeile je Zeile)", "en": "Address (one line each)"},
    "office_phone": {"de": "Telefon", "en": "Phone"},
    "office_email": {"de": "E-Mail", "en": "E-mail"},
    "office_web": {"de": "Web", "en": "Web"},
    "office_save": {"de": "Profil speichern", "en": "Save the profile"},
    "office_saved": {"de": "Profil gespeichert.", "en": "Profile saved."},
    "sys_intro": {
        "de": "Modell, llama.cpp-Build, Einbettungsmodell und Wissensspeicher, wie "
        "`python -m comms doctor` sie prüft.",
        "en": "Model, llama.cpp build, embedder and knowledge store, as `python -m comms doctor` "
        "checks them.",
    },
    "sys_smoke": {
        "de": "Kurztest: 5 Tokens erzeugen",
        "en": "Smoke test: generate 5 tokens",
    },
    "sys_failed": {
        "de": "{count} Prüfung(en) fehlgeschlagen: siehe ❌ unten.",
        "en": "{count} check(s) failed: see ❌ below.",
    },
    "licence": {"de": "Lizenz", "en": "Licence"},
    "llama4_notice": {
        "de": "{notice} [Lizenz]({licence}) · [Nutzungsrichtlinie]({policy})",
        "en": "{notice} [Licence]({licence}) · [Acceptable Use Policy]({policy})",
    },
    "model_crashed": {
        "de": "Das Sprachmodell wurde unerwartet beendet; es wurde neu gestartet. Bitte versuchen "
        "Sie es noch einmal.",
        "en": "The language model stopped unexpectedly; it has been restarted, please try again.",
    },
    "leichte_review": {
        "de": "Leichte Sprache: vor dem Versand von einer Prüfgruppe lesen lassen.",
        "en": "Leichte Sprache: have a test reader check it before sending.",
    },
    "native_review": {
        "de": "Übersetzung: Noch niemand mit dieser Muttersprache hat die Texte der "
        "Botschaftskarte geprüft. Lassen Sie die Nachricht vor dem Versand von einer "
        "muttersprachlichen Person lesen.",
        "en": "Translation: no native speaker has checked the map's texts in this language yet. "
        "Have a native speaker read the message before it goes out.",
    },
    "originals_title": {
        "de": "Was die Nachricht sagen soll: Kernbotschaften der Karte auf Deutsch ({count})",
        "en": "What the message is meant to say: the map's key messages in English ({count})",
    },
    "originals_intro": {
        "de": "Jede Kernbotschaft der Nachricht, wie die Karte sie auf Deutsch sagt, darunter "
        "die Übersetzung, die die Nachricht trägt.",
        "en": "Each key message the message carries, as the map says it in English, with the "
        "translation the message carries below it.",
    },
    "originals_gone": {
        "de": "(diese Kernbotschaft hat die Karte nicht mehr)",
        "en": "(the map no longer has this key message)",
    },
    "pk_native_badge": {"de": "ungeprüfte Übersetzung", "en": "unchecked translation"},
    "pk_native_check": {
        "de": "Muttersprachlich geprüft",
        "en": "Checked by a native speaker",
    },
    "pk_native_checked": {
        "de": "Als muttersprachlich geprüft vermerkt.",
        "en": "Recorded as checked by a native speaker.",
    },
    "pk_native_not_reader": {
        "de": "Diese Übersetzung hat noch niemand mit der Muttersprache „{language}“ geprüft. "
        "Vermerken kann das nur, wer die Sprache liest (Profil: `python -m comms users "
        "languages NAME {language}`).",
        "en": "No native speaker of '{language}' has checked this translation yet. Only a "
        "reviewer who reads it can record that (profile: `python -m comms users languages NAME "
        "{language}`).",
    },
    "pk_export_withheld": {
        "de": "Nicht exportiert, weil noch niemand mit der Muttersprache die Übersetzung geprüft "
        "hat ({count}); die Kampagne nimmt ungeprüfte Übersetzungen nicht an "
        "(`accept_unchecked_translations`):",
        "en": "Left out because no native speaker has checked the translation ({count}); the "
        "campaign does not accept unchecked translations (`accept_unchecked_translations`):",
    },
    "characters": {
        "de": "{count} Zeichen (Grenze {limit})",
        "en": "{count} characters (limit {limit})",
    },
    # Packs page
    "page_packs": {"de": "Nachrichtenpakete", "en": "Message packs"},
    "pk_intro": {
        "de": "Eine Kampagne für mehrere Zielgruppen, Kanäle und Sprachen auf einmal: planen, "
        "erstellen, prüfen, freigeben und als ZIP exportieren.",
        "en": "One campaign for several audiences, channels and languages at once: plan, "
        "generate, review, approve and export as a ZIP.",
    },
    "pk_campaign": {"de": "Kampagne", "en": "Campaign"},
    "pk_none": {"de": "Noch keine Kampagne.", "en": "No campaign yet."},
    "pk_new": {"de": "Neue Kampagne planen", "en": "Plan a new campaign"},
    "pk_id": {"de": "Kennung (a–z, 0–9, -)", "en": "Id (a–z, 0–9, -)"},
    "pk_name": {"de": "Name", "en": "Name"},
    "pk_audiences": {"de": "Zielgruppen", "en": "Audiences"},
    "pk_channels": {"de": "Kanäle", "en": "Channels"},
    "pk_languages": {"de": "Sprachen", "en": "Languages"},
    "pk_variants": {"de": "Varianten je Zelle", "en": "Variants per cell"},
    "pk_approvals": {"de": "Freigaben je Nachricht", "en": "Approvals per message"},
    "pk_approvals_help": {
        "de": "2: zwei verschiedene Personen müssen freigeben.",
        "en": "2: two different people must approve.",
    },
    "pk_sender": {"de": "Absender (Briefe, Plakate)", "en": "Sender (letters, posters)"},
    "pk_create": {"de": "Kampagne anlegen", "en": "Create campaign"},
    "pk_created": {"de": "Kampagne {id} angelegt.", "en": "Campaign {id} created."},
    "pk_import": {"de": "Paket-ZIP importieren", "en": "Import a pack ZIP"},
    "pk_import_button": {"de": "Importieren", "en": "Import"},
    "pk_imported": {
        "de": "Kampagne {id} importiert. Hat diese Installation das Paket nicht signiert, ist "
        "jede Nachricht ein Entwurf und die Freigaben aus der Datei stehen als Notizen dabei.",
        "en": "Campaign {id} imported. Unless this installation signed the pack, every message "
        "is a draft and the file's approvals are notes.",
    },
    "pk_summary": {
        "de": "{topic} · {stored} von {size} Nachrichten · Vorlage v{template} · {model}",
        "en": "{topic} · {stored} of {size} messages · template v{template} · {model}",
    },
    "pk_generate": {"de": "Fehlende Nachrichten erstellen", "en": "Generate missing messages"},
    "pk_stop": {"de": "Anhalten", "en": "Stop"},
    "pk_ask_model": {
        "de": "Auch das Modell um seine Fassung bitten (nur übernommen, wenn sie alle Prüfungen "
        "besteht und die Kernbotschaften behält)",
        "en": "Also ask the model for its version (kept only where it passes every check and "
        "keeps the key messages)",
    },
    "pk_map": {
        "de": "Botschaftskarte {id}, Version {version}",
        "en": "Message map {id}, version {version}",
    },
    "pk_stale": {
        "de": "Diese Nachrichten stammen aus einer älteren Version der Botschaftskarte; neu "
        "erstellen, um die geltende Karte zu verwenden: {cells}",
        "en": "These messages came from an older version of the message map; regenerate them "
        "to use the map in effect: {cells}",
    },
    "pk_consistency": {
        "de": "Uneinheitlich zwischen Nachrichten:",
        "en": "Inconsistent across messages:",
    },
    "pk_consistent": {
        "de": "Einheitlich: keine Widersprüche zwischen den Nachrichten gefunden.",
        "en": "Consistent: no disagreements between the messages found.",
    },
    "pk_stopped": {
        "de": "Angehalten. Fertige Nachrichten sind gespeichert; „Erstellen“ setzt fort.",
        "en": "Stopped. Finished messages are stored; “Generate” continues.",
    },
    "pk_progress": {
        "de": "{done} von {total} · noch etwa {left}",
        "en": "{done} of {total} · about {left} left",
    },
    "pk_generated": {
        "de": "{generated} erstellt, {failed} fehlgeschlagen.",
        "en": "{generated} generated, {failed} failed.",
    },
    "pk_review": {"de": "Prüfen", "en": "Review"},
    "pk_missing": {"de": "– fehlt", "en": "– missing"},
    "pk_status_draft": {"de": "Entwurf", "en": "Draft"},
    "pk_status_needs_changes": {"de": "Änderung nötig", "en": "Needs changes"},
    "pk_status_approved": {"de": "Freigegeben", "en": "Approved"},
    "pk_status_rejected": {"de": "Abgelehnt", "en": "Rejected"},
    "pk_approved_by": {
        "de": "Freigaben: {count} von {needed} ({names})",
        "en": "Approvals: {count} of {needed} ({names})",
    },
    "pk_sms": {
        "de": "{chars} Zeichen · {segments} SMS ({encoding})",
        "en": "{chars} characters · {segments} SMS ({encoding})",
    },
    "pk_save": {"de": "Speichern und neu prüfen", "en": "Save and re-check"},
    "pk_comment": {"de": "Kommentar", "en": "Comment"},
    "pk_add_comment": {"de": "Kommentieren", "en": "Add comment"},
    "pk_approve": {"de": "Freigeben", "en": "Approve"},
    "pk_changes": {"de": "Änderung anfordern", "en": "Request changes"},
    "pk_reject": {"de": "Ablehnen", "en": "Reject"},
    "pk_regenerate": {"de": "Neu erstellen", "en": "Regenerate"},
    "pk_remarks": {"de": "Verlauf", "en": "History"},
    "pk_no_approve": {
        "de": "Freigeben dürfen Personen mit der Rolle reviewer oder admin.",
        "en": "Approving needs the reviewer or admin role.",
    },
    "pk_audit": {"de": "Prüfprotokoll", "en": "Audit trail"},
    "pk_audit_download": {"de": "Protokoll als CSV", "en": "Audit trail as CSV"},
    "pk_export": {"de": "Export", "en": "Export"},
    "pk_export_draft": {
        "de": "Entwurf exportieren (alle Nachrichten, jede Datei als ENTWURF markiert)",
        "en": "Draft export (every message, each file marked DRAFT)",
    },
    "pk_export_button": {"de": "ZIP erstellen", "en": "Build ZIP"},
    "pk_download": {"de": "ZIP herunterladen", "en": "Download ZIP"},
    "pk_exported": {"de": "{count} Nachrichten exportiert.", "en": "{count} messages exported."},
    # Living evidence: messages and map facts whose cited passages changed
    "ev_changed": {"de": "Evidenz geändert", "en": "Evidence changed"},
    "ev_removed": {"de": "Quelle entfernt", "en": "Source removed"},
    "ev_passage_changed": {"de": "Abschnitt geändert", "en": "passage changed"},
    "ev_passage_removed": {"de": "Abschnitt entfernt", "en": "passage removed"},
    "ev_source_removed": {"de": "Quelle entfernt", "en": "source removed"},
    "ev_flag": {"de": "Version {version}: {what}", "en": "version {version}: {what}"},
    "ev_old": {"de": "Vorher", "en": "Before"},
    "ev_new": {"de": "Jetzt (Version {version})", "en": "Now (version {version})"},
    "ev_gone": {"de": "(nicht mehr in der Quelle)", "en": "(no longer in the source)"},
    "ev_sentences_removed": {"de": "Entfallene Sätze", "en": "Sentences removed"},
    "ev_sentences_added": {"de": "Neue Sätze", "en": "Sentences added"},
    "ev_reason": {
        "de": "Warum gilt die Nachricht weiter? (Pflichtangabe)",
        "en": "Why does the message still hold? (required)",
    },
    "ev_confirm": {"de": "Unverändert bestätigen", "en": "Confirm unchanged"},
    "ev_confirmed": {
        "de": "Bestätigt: die Nachricht beruht jetzt auf den neuen Passagen.",
        "en": "Confirmed: the message now rests on the new passages.",
    },
    "n_messages_1": {"de": "1 gespeicherte Nachricht", "en": "1 stored message"},
    "n_messages_n": {"de": "{n} gespeicherte Nachrichten", "en": "{n} stored messages"},
    "n_facts_1": {"de": "1 Kartenfakt", "en": "1 map fact"},
    "n_facts_n": {"de": "{n} Kartenfakten", "en": "{n} map facts"},
    "pk_evidence": {
        "de": "Auf Evidenz, die sich seitdem geändert hat: {messages}. Jede unverändert "
        "bestätigen oder neu erstellen (Filter „Nur Nachrichten mit geänderter Evidenz“).",
        "en": "On evidence that changed since: {messages}. Confirm each unchanged or regenerate "
        "it (filter “Only messages on changed evidence”).",
    },
    "pk_only_changed": {
        "de": "Nur Nachrichten mit geänderter Evidenz ({count})",
        "en": "Only messages on changed evidence ({count})",
    },
    "pk_export_strict": {
        "de": "Nur exportieren, wenn keine freigegebene Nachricht auf geänderter Evidenz beruht "
        "oder eine ungeprüfte Übersetzung ist",
        "en": "Export only if no approved message rests on changed evidence or is an unchecked "
        "translation",
    },
    "pk_export_evidence": {
        "de": "Exportiert, aber diese freigegebenen Nachrichten beruhen auf geänderter Evidenz "
        "({count}):",
        "en": "Exported, but these approved messages rest on changed evidence ({count}):",
    },
    "map_evidence": {"de": "Fakten auf geänderter Evidenz", "en": "Facts on changed evidence"},
    "map_fact": {"de": "Fakt {fact}", "en": "Fact {fact}"},
    "map_fact_reason": {
        "de": "Warum gilt der Fakt weiter? (Pflichtangabe)",
        "en": "Why does the fact still hold? (required)",
    },
    "map_fact_confirm": {"de": "Fakt bestätigen", "en": "Confirm the fact"},
    "map_fact_confirmed": {
        "de": "Fakt {fact} bestätigt: er beruht jetzt auf der neuen Passage.",
        "en": "Fact {fact} confirmed: it now rests on the new passage.",
    },
    "map_fact_admin_only": {
        "de": "Fakten bestätigen dürfen Personen mit der Rolle admin; sonst die Karte ändern.",
        "en": "Confirming facts needs the admin role; otherwise change the map.",
    },
    "map_pin_failed": {
        "de": "Freigegeben, aber die Fakten wurden nicht an ihre Passagen gebunden: {error}",
        "en": "Approved, but the facts were not pinned to their passages: {error}",
    },
    "upd_title": {"de": "Aktualisierungen ({count})", "en": "Updates ({count})"},
    "upd_summary": {
        "de": "{messages} und {facts} beruhen auf geänderter Evidenz.",
        "en": "{messages} and {facts} rest on changed evidence.",
    },
    "kn_impact": {
        "de": "{messages} und {facts} beruhen auf geänderten Passagen.",
        "en": "{messages} and {facts} rest on changed passages.",
    },
    "kn_history": {"de": "Verlauf", "en": "History"},
    "kn_history_source": {"de": "Verlauf der Quelle", "en": "History of the source"},
    "kn_history_none": {
        "de": "Noch keine Quelle hat einen Verlauf.",
        "en": "No source has a history yet.",
    },
    "kn_status_added": {"de": "hinzugefügt", "en": "added"},
    "kn_status_changed": {"de": "geändert", "en": "changed"},
    "kn_status_removed": {"de": "entfernt", "en": "removed"},
    "kn_one_version": {
        "de": "Nur eine Version: noch nichts zu vergleichen.",
        "en": "Only one version: nothing to compare yet.",
    },
    "kn_change_changed": {"de": "Geändert", "en": "Changed"},
    "kn_change_removed": {"de": "Entfernt", "en": "Removed"},
    "kn_change_new": {"de": "Neu", "en": "New"},
    "kn_no_heading": {"de": "(ohne Überschrift)", "en": "(no heading)"},
    "kn_unchanged": {
        "de": "{count} Abschnitte unverändert (nicht angezeigt).",
        "en": "{count} passages unchanged (not shown).",
    },
}


def ui_language() -> str:
    """The interface language chosen in the sidebar (German by default)."""
    return str(st.session_state.get("ui_language", "de"))


def t(key: str, **values: object) -> str:
    """The UI string for key in the current interface language."""
    text = TEXT[key][ui_language()]
    return text.format(**values) if values else text


def counted(key: str, n: int) -> str:
    """A count with its noun: key_1 for one, key_n (with {n}) otherwise."""
    return t(f"{key}_1") if n == 1 else t(f"{key}_n", n=n)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: str) -> str:
    """Escape Markdown so untrusted text (titles, uploads, model output) shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def link(title: str, url: str) -> str:
    """A Markdown link for http(s) addresses only; anything else is shown as plain text."""
    if re.fullmatch(r"https?://[^\s()<>]+", url):
        return f"[{plain(title)}]({url})"
    return plain(title)
