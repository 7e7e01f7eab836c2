//! The engine's own fixed phrases, in every language it understands. Company-written prompts
//! and messages stay as the company wrote them; only these are translated.

use super::Lang;

/// A fixed phrase the engine says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phrase {
    /// The customer abandoned a task.
    Stopped,
    /// The customer declined a confirmation.
    NothingChanged,
    /// Before repeating a confirmation question after an unclear answer.
    AnswerYesOrNo,
    /// After a second unclear answer: the person is offered.
    StillUnclear,
    /// After a task: the conversation goes on.
    AnythingElse,
    /// A thank-you or goodbye.
    Welcome,
    /// The conversation is being handed to a person.
    HandingOff,
    /// The conversation is with a person already.
    WithAPerson,
    /// A correction came after the change was made.
    AlreadyDone,
    /// An identifying lookup found nobody (not saying which detail failed).
    NoMatch,
    /// Identification failed three times: a person takes over.
    NoMatchHandoff,
    /// An identifying lookup found the customer.
    FoundYou,
    /// Inviting the customer's request.
    HowCanIHelp,
    /// Answering a greeting.
    Hello,
    /// Before asking a declined confirmation again.
    JustToBeSure,
    /// A task needs a verified customer.
    SignInFirst,
    /// An answer names none of the customer's records: `{}` is the list to choose from.
    ChoicesAre,
    /// What the customer named is not in the records of `{old}` but in those of `{new}`,
    /// which the task goes on with.
    FoundElsewhere,
    /// What the customer named is not in the records of `{old}` but in those of each of
    /// `{list}`: which one?
    FoundInSeveral,
    /// A write was sent and its outcome is unknown when the customer cancelled or corrected.
    MayBeMade,
    /// An answer is none of the allowed values: `{}` is the list.
    ChooseOneOf,
    /// An answer is not an email address.
    NotAnEmail,
    /// An answer is not a date.
    DateAsIso,
    /// An answer is not a number.
    GiveANumber,
    /// An answer could not be read as the value asked for: `{}` names it (English only).
    CouldNotRead,
    /// The customer acts for someone else: a person takes over.
    AccountHolderOnly,
}

/// How [`join_words`] ends a list.
#[derive(Clone, Copy, Debug)]
pub enum Conjunction {
    /// "a, b and c".
    And,
    /// "a, b or c".
    Or,
}

/// A list as a sentence writes it, in the customer's language: "a", "a and b", "a, b or c".
pub fn join_words(items: &[String], conjunction: Conjunction, lang: Lang) -> String {
    let word = match (conjunction, lang) {
        (Conjunction::And, Lang::En) => "and",
        (Conjunction::And, Lang::De) => "und",
        (Conjunction::And, Lang::Fr) => "et",
        (Conjunction::And, Lang::Es) => "y",
        (Conjunction::And, Lang::Nl) => "en",
        (Conjunction::Or, Lang::En) => "or",
        (Conjunction::Or, Lang::De) => "oder",
        (Conjunction::Or, Lang::Fr) => "ou",
        (Conjunction::Or, Lang::Es) => "o",
        (Conjunction::Or, Lang::Nl) => "of",
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// The phrase in a language.
pub fn phrase(which: Phrase, lang: Lang) -> &'static str {
    use Lang::*;
    use Phrase::*;
    match (which, lang) {
        (AccountHolderOnly, En) => {
            "I can only make changes for the account holder, so I'm passing you to a person from our team, who will reply here."
        }
        (AccountHolderOnly, De) => {
            "Änderungen kann ich nur für den Kontoinhaber vornehmen; ich übergebe an eine Person aus unserem Team, die Ihnen hier antwortet."
        }
        (AccountHolderOnly, Fr) => {
            "Je ne peux faire de modifications que pour le titulaire du compte ; je vous passe une personne de notre équipe, qui vous répondra ici."
        }
        (AccountHolderOnly, Es) => {
            "Solo puedo hacer cambios para el titular de la cuenta; le paso con una persona de nuestro equipo, que le responderá aquí."
        }
        (AccountHolderOnly, Nl) => {
            "Ik kan alleen wijzigingen doen voor de rekeninghouder; ik geef u door aan iemand van ons team, die u hier antwoordt."
        }
        (ChoicesAre, En) => "I couldn't tell which you mean; the choices are: {}.",
        (ChoicesAre, De) => "Ich konnte das nicht zuordnen; zur Auswahl stehen: {}.",
        (ChoicesAre, Fr) => "Je n'ai pas su lequel vous voulez dire ; les choix sont : {}.",
        (ChoicesAre, Es) => "No he sabido a cuál se refiere; las opciones son: {}.",
        (ChoicesAre, Nl) => "Ik kon niet zien welke u bedoelt; de keuzes zijn: {}.",
        (FoundElsewhere, En) => {
            "That isn't in {old}, but it is in {new}, so I'll go on with {new}."
        }
        (FoundElsewhere, De) => {
            "Das ist nicht in {old}, aber in {new}; ich mache also mit {new} weiter."
        }
        (FoundElsewhere, Fr) => {
            "Ce n'est pas dans {old}, mais dans {new} ; je continue donc avec {new}."
        }
        (FoundElsewhere, Es) => "Eso no está en {old}, sino en {new}; sigo entonces con {new}.",
        (FoundElsewhere, Nl) => {
            "Dat zit niet in {old}, maar wel in {new}; ik ga dus verder met {new}."
        }
        (FoundInSeveral, En) => {
            "That isn't in {old}, but it is in {list}. Which one do you mean: {choice}?"
        }
        (FoundInSeveral, De) => {
            "Das ist nicht in {old}, aber in {list}. Welche meinen Sie: {choice}?"
        }
        (FoundInSeveral, Fr) => {
            "Ce n'est pas dans {old}, mais dans {list}. Laquelle voulez-vous dire : {choice} ?"
        }
        (FoundInSeveral, Es) => {
            "Eso no está en {old}, sino en {list}. ¿A cuál se refiere: {choice}?"
        }
        (FoundInSeveral, Nl) => {
            "Dat zit niet in {old}, maar wel in {list}. Welke bedoelt u: {choice}?"
        }
        (MayBeMade, En) => {
            "The change I started may already have been made, so I can't simply stop or redo it."
        }
        (MayBeMade, De) => {
            "Die begonnene Änderung ist möglicherweise schon erfolgt; ich kann sie nicht einfach abbrechen oder wiederholen."
        }
        (MayBeMade, Fr) => {
            "La modification lancée a peut-être déjà été faite ; je ne peux donc pas simplement l'arrêter ou la refaire."
        }
        (MayBeMade, Es) => {
            "Puede que el cambio que inicié ya se haya hecho, así que no puedo simplemente detenerlo ni repetirlo."
        }
        (MayBeMade, Nl) => {
            "De wijziging die ik begon is misschien al doorgevoerd; ik kan haar dus niet zomaar stoppen of opnieuw doen."
        }
        (ChooseOneOf, En) => "Please choose one of: {}.",
        (ChooseOneOf, De) => "Bitte wählen Sie eines davon: {}.",
        (ChooseOneOf, Fr) => "Veuillez choisir parmi : {}.",
        (ChooseOneOf, Es) => "Elija una de estas opciones: {}.",
        (ChooseOneOf, Nl) => "Kies een van: {}.",
        (NotAnEmail, En) => "That doesn't look like an email address.",
        (NotAnEmail, De) => "Das sieht nicht nach einer E-Mail-Adresse aus.",
        (NotAnEmail, Fr) => "Cela ne ressemble pas à une adresse e-mail.",
        (NotAnEmail, Es) => "Eso no parece una dirección de correo electrónico.",
        (NotAnEmail, Nl) => "Dat lijkt geen e-mailadres.",
        (DateAsIso, En) => {
            "Please give the date with the month's name or as YYYY-MM-DD, for example 3 December 2026."
        }
        (DateAsIso, De) => {
            "Bitte nennen Sie das Datum mit dem Monatsnamen oder als JJJJ-MM-TT, zum Beispiel 3. Dezember 2026."
        }
        (DateAsIso, Fr) => {
            "Indiquez la date avec le nom du mois ou au format AAAA-MM-JJ, par exemple 3 décembre 2026."
        }
        (DateAsIso, Es) => {
            "Indique la fecha con el nombre del mes o como AAAA-MM-DD, por ejemplo 3 de diciembre de 2026."
        }
        (DateAsIso, Nl) => {
            "Geef de datum met de naam van de maand of als JJJJ-MM-DD, bijvoorbeeld 3 december 2026."
        }
        (GiveANumber, En) => "Please give a number.",
        (GiveANumber, De) => "Bitte geben Sie eine Zahl an.",
        (GiveANumber, Fr) => "Indiquez un nombre, s'il vous plaît.",
        (GiveANumber, Es) => "Indique un número, por favor.",
        (GiveANumber, Nl) => "Geef een getal op.",
        (CouldNotRead, En) => "I couldn't read that as the {}.",
        (CouldNotRead, De) => "Das konnte ich nicht lesen.",
        (CouldNotRead, Fr) => "Je n'ai pas pu lire cela.",
        (CouldNotRead, Es) => "No he podido leerlo.",
        (CouldNotRead, Nl) => "Dat kon ik niet lezen.",
        (Stopped, En) => "OK, I've stopped that. Is there anything else I can help with?",
        (Stopped, De) => "In Ordnung, ich habe das abgebrochen. Kann ich sonst noch helfen?",
        (Stopped, Fr) => "D'accord, j'ai arrêté. Puis-je vous aider pour autre chose ?",
        (Stopped, Es) => "De acuerdo, lo he detenido. ¿Puedo ayudarle con algo más?",
        (Stopped, Nl) => "Oké, ik ben daarmee gestopt. Kan ik u nog ergens anders mee helpen?",
        (NothingChanged, En) => {
            "OK, I haven't changed anything. Is there anything else I can help with?"
        }
        (NothingChanged, De) => "In Ordnung, ich habe nichts geändert. Kann ich sonst noch helfen?",
        (NothingChanged, Fr) => {
            "D'accord, je n'ai rien modifié. Puis-je vous aider pour autre chose ?"
        }
        (NothingChanged, Es) => "De acuerdo, no he cambiado nada. ¿Puedo ayudarle con algo más?",
        (NothingChanged, Nl) => {
            "Oké, ik heb niets gewijzigd. Kan ik u nog ergens anders mee helpen?"
        }
        (AnswerYesOrNo, En) => "Please answer yes or no.",
        (AnswerYesOrNo, De) => "Bitte antworten Sie mit Ja oder Nein.",
        (AnswerYesOrNo, Fr) => "Merci de répondre par oui ou par non.",
        (AnswerYesOrNo, Es) => "Por favor, responda sí o no.",
        (AnswerYesOrNo, Nl) => "Antwoord alstublieft met ja of nee.",
        (StillUnclear, En) => {
            "I still can't tell whether you want this. Please answer yes or no — or ask for a person and I'll pass you to someone from our team."
        }
        (StillUnclear, De) => {
            "Ich bin noch nicht sicher, ob Sie das möchten. Bitte antworten Sie mit Ja oder Nein – oder verlangen Sie einen Mitarbeiter, dann verbinde ich Sie."
        }
        (StillUnclear, Fr) => {
            "Je ne sais toujours pas si vous le souhaitez. Répondez par oui ou par non — ou demandez un conseiller et je vous mets en relation."
        }
        (StillUnclear, Es) => {
            "Todavía no sé si lo desea. Responda sí o no, o pida hablar con una persona y le paso con alguien del equipo."
        }
        (StillUnclear, Nl) => {
            "Het is me nog niet duidelijk of u dit wilt. Antwoord met ja of nee — of vraag om een medewerker, dan verbind ik u door."
        }
        (AnythingElse, En) => "Is there anything else I can help with?",
        (AnythingElse, De) => "Kann ich sonst noch helfen?",
        (AnythingElse, Fr) => "Puis-je vous aider pour autre chose ?",
        (AnythingElse, Es) => "¿Puedo ayudarle con algo más?",
        (AnythingElse, Nl) => "Kan ik u nog ergens anders mee helpen?",
        (Welcome, En) => "You're welcome! Is there anything else I can help with?",
        (Welcome, De) => "Gern geschehen! Kann ich sonst noch helfen?",
        (Welcome, Fr) => "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        (Welcome, Es) => "¡De nada! ¿Puedo ayudarle con algo más?",
        (Welcome, Nl) => "Graag gedaan! Kan ik u nog ergens anders mee helpen?",
        (HandingOff, En) => "I'm handing this over to a person from our team, who will reply here.",
        (HandingOff, De) => {
            "Ich übergebe das an eine Person aus unserem Team, die Ihnen hier antwortet."
        }
        (HandingOff, Fr) => {
            "Je transmets votre demande à une personne de notre équipe, qui vous répondra ici."
        }
        (HandingOff, Es) => {
            "Paso su consulta a una persona de nuestro equipo, que le responderá aquí."
        }
        (HandingOff, Nl) => "Ik draag dit over aan iemand van ons team, die u hier zal antwoorden.",
        (WithAPerson, En) => {
            "A person from our team has this conversation now and will reply here."
        }
        (WithAPerson, De) => {
            "Eine Person aus unserem Team betreut dieses Gespräch jetzt und antwortet hier."
        }
        (WithAPerson, Fr) => {
            "Une personne de notre équipe s'occupe maintenant de cette conversation et vous répondra ici."
        }
        (WithAPerson, Es) => {
            "Una persona de nuestro equipo lleva ahora esta conversación y le responderá aquí."
        }
        (WithAPerson, Nl) => {
            "Iemand van ons team heeft dit gesprek nu overgenomen en antwoordt u hier."
        }
        (AlreadyDone, En) => "That's already done, so I can't change it now.",
        (AlreadyDone, De) => "Das ist bereits erledigt, daher kann ich es jetzt nicht mehr ändern.",
        (AlreadyDone, Fr) => "C'est déjà fait, je ne peux donc plus le modifier.",
        (AlreadyDone, Es) => "Eso ya está hecho, así que ya no puedo cambiarlo.",
        (AlreadyDone, Nl) => "Dat is al gedaan, dus ik kan het nu niet meer wijzigen.",
        (NoMatch, En) => "Those details didn't match an account. Please check them and try again.",
        (NoMatch, De) => {
            "Zu diesen Angaben habe ich kein Konto gefunden. Bitte prüfen Sie sie und versuchen Sie es noch einmal."
        }
        (NoMatch, Fr) => {
            "Ces informations ne correspondent à aucun compte. Vérifiez-les et réessayez."
        }
        (NoMatch, Es) => {
            "Esos datos no coinciden con ninguna cuenta. Revíselos e inténtelo de nuevo."
        }
        (NoMatch, Nl) => {
            "Bij die gegevens vind ik geen account. Controleer ze en probeer het opnieuw."
        }
        (NoMatchHandoff, En) => {
            "I still couldn't match those details to an account, so I'm passing you to a person from our team, who will reply here."
        }
        (NoMatchHandoff, De) => {
            "Ich konnte die Angaben keinem Konto zuordnen und übergebe an eine Person aus unserem Team, die Ihnen hier antwortet."
        }
        (NoMatchHandoff, Fr) => {
            "Je n'ai toujours trouvé aucun compte avec ces informations ; je vous passe une personne de notre équipe, qui vous répondra ici."
        }
        (NoMatchHandoff, Es) => {
            "Sigo sin encontrar una cuenta con esos datos, así que le paso con una persona de nuestro equipo, que le responderá aquí."
        }
        (NoMatchHandoff, Nl) => {
            "Ik kan die gegevens nog steeds niet aan een account koppelen; iemand van ons team neemt het over en antwoordt u hier."
        }
        (FoundYou, En) => "Thanks, I've found your account.",
        (FoundYou, De) => "Danke, ich habe Ihr Konto gefunden.",
        (FoundYou, Fr) => "Merci, j'ai trouvé votre compte.",
        (FoundYou, Es) => "Gracias, he encontrado su cuenta.",
        (FoundYou, Nl) => "Bedankt, ik heb uw account gevonden.",
        (HowCanIHelp, En) => "What can I do for you?",
        (HowCanIHelp, De) => "Was kann ich für Sie tun?",
        (HowCanIHelp, Fr) => "Que puis-je faire pour vous ?",
        (HowCanIHelp, Es) => "¿En qué puedo ayudarle?",
        (HowCanIHelp, Nl) => "Waarmee kan ik u helpen?",
        (Hello, En) => "Hello! What can I do for you?",
        (Hello, De) => "Hallo! Was kann ich für Sie tun?",
        (Hello, Fr) => "Bonjour ! Que puis-je faire pour vous ?",
        (Hello, Es) => "¡Hola! ¿En qué puedo ayudarle?",
        (Hello, Nl) => "Hallo! Waarmee kan ik u helpen?",
        (JustToBeSure, En) => "Just to be sure:",
        (JustToBeSure, De) => "Nur zur Sicherheit:",
        (JustToBeSure, Fr) => "Pour être sûr :",
        (JustToBeSure, Es) => "Para estar seguros:",
        (JustToBeSure, Nl) => "Voor de zekerheid:",
        (SignInFirst, En) => {
            "I can only help with that once we know it's you: please sign in on our website (or write to us from the email on your account) and ask again."
        }
        (SignInFirst, De) => {
            "Dabei kann ich erst helfen, wenn wir wissen, dass Sie es sind: Bitte melden Sie sich auf unserer Website an (oder schreiben Sie uns von der E-Mail-Adresse Ihres Kontos) und fragen Sie erneut."
        }
        (SignInFirst, Fr) => {
            "Je ne peux vous aider qu'une fois votre identité confirmée : connectez-vous sur notre site (ou écrivez-nous depuis l'adresse e-mail de votre compte) et redemandez."
        }
        (SignInFirst, Es) => {
            "Solo puedo ayudarle con eso cuando sepamos que es usted: inicie sesión en nuestra web (o escríbanos desde el correo de su cuenta) y vuelva a preguntar."
        }
        (SignInFirst, Nl) => {
            "Daar kan ik pas mee helpen als we weten dat u het bent: log in op onze website (of schrijf ons vanaf het e-mailadres van uw account) en vraag het opnieuw."
        }
    }
}

#[cfg(test)]
mod join_tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_words(&items(&["a"]), Conjunction::Or, Lang::En), "a");
        assert_eq!(
            join_words(&items(&["a", "b"]), Conjunction::Or, Lang::De),
            "a oder b"
        );
        assert_eq!(
            join_words(&items(&["a", "b", "c"]), Conjunction::And, Lang::Fr),
            "a, b et c"
        );
    }
}
