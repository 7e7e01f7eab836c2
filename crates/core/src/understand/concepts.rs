//! Meaning before matching: words and phrases of the five languages, and common English
//! paraphrases, mapped to one canonical English word, so that "send it back", "zurückschicken"
//! and "retourner" all read as `return` when a message is compared with a task's examples or a
//! slot's allowed values. Applied to both sides of every comparison.

use std::collections::HashMap;
use std::sync::LazyLock;

/// (canonical word(s), phrases that mean it). Phrases are written folded (no accents).
const CONCEPTS: &[(&str, &[&str])] = &[
    (
        "cancel",
        &[
            "call off",
            "call it off",
            "stornieren",
            "storniere",
            "stornierung",
            "storno",
            "stornier",
            "annuler",
            "annulez",
            "annule",
            "annulation",
            "cancelar",
            "cancela",
            "cancelacion",
            "cancelen",
            "cancelarlo",
            "cancelarla",
            "annuleren",
            "annuleer",
            "annulering",
            "cancellation",
            "canceled",
            "cancelled",
            "cancelling",
            "canceling",
            "abbestellen",
        ],
    ),
    (
        "order",
        &[
            "package",
            "parcel",
            "paket",
            "paketchen",
            "colis",
            "paquete",
            "pakket",
            "pakketje",
            "something i ordered",
            "something i bought",
            "what i ordered",
            "what i bought",
            "an item i ordered",
            "things i ordered",
            "stuff i ordered",
            "things i bought",
            "something i purchased",
            "etwas bestellt",
            "was ich bestellt habe",
            "quelque chose que j'ai commande",
            "algo que pedi",
            "algo que compre",
            "iets dat ik besteld heb",
            "iets wat ik besteld heb",
            "bestellung",
            "bestellungen",
            "commande",
            "commandes",
            "pedido",
            "pedidos",
            "orden",
            "bestelling",
            "bestellingen",
            "purchase",
            "auftrag",
        ],
    ),
    (
        "return",
        &[
            "send back",
            "send it back",
            "send them back",
            "sending back",
            "bring back",
            "take back",
            "money back",
            "my money back",
            "refund",
            "refunded",
            "returning",
            "returned",
            "zuruckschicken",
            "zurucksenden",
            "zuruckgeben",
            "rucksendung",
            "retoure",
            "retournieren",
            "zuruck",
            "retourner",
            "renvoyer",
            "retour",
            "rembourser",
            "remboursement",
            "devolver",
            "devolucion",
            "devuelvo",
            "devolverlo",
            "reembolso",
            "retourneren",
            "terugsturen",
            "terugbrengen",
            "retourneer",
            "terugbetaling",
            "geld terug",
        ],
    ),
    (
        "exchange",
        &[
            "swap",
            "swapping",
            "trade",
            "different size",
            "other size",
            "another size",
            "different color",
            "different colour",
            "another color",
            "another colour",
            "different one",
            "replace",
            "replacement",
            "umtauschen",
            "tauschen",
            "umtausch",
            "echanger",
            "echange",
            "intercambiar",
            "canjear",
            "ruilen",
            "omruilen",
            "inwisselen",
            "exchanging",
        ],
    ),
    (
        "shipping",
        &[
            "livraison",
            "lieferung",
            "liefer",
            "envio",
            "entrega",
            "verzending",
            "bezorging",
            "delivery",
            "verzend",
            "expedition",
        ],
    ),
    (
        // "Update where my order is being shipped": the order's shipping address.
        "order shipping address",
        &[
            "where my order is being shipped",
            "where my order is shipped",
            "where my order ships",
            "where my order goes",
            "where my order is going",
            "where my package goes",
            "where my package is going",
            "where the order is shipped",
            "where the order goes",
        ],
    ),
    (
        // Where an order should go: "it should go to …", "moet naar …", "doit aller au …".
        "shipping address",
        &[
            "lieferadresse",
            "lieferanschrift",
            "versandadresse",
            "afleveradres",
            "verzendadres",
            "bezorgadres",
            "leveringsadres",
            "should go to",
            "should be sent to",
            "should be shipped to",
            "send it to",
            "ship it to",
            "deliver it to",
            "soll an",
            "soll nach",
            "soll zu",
            "liefern an",
            "schicken an",
            "doit aller",
            "doit plutot aller",
            "doit etre livree",
            "doit etre envoyee",
            "envoyez la",
            "livrez la",
            "deberia ir a",
            "debe ir a",
            "tiene que ir a",
            "envienlo a",
            "envialo a",
            "moet naar",
            "moet worden verzonden naar",
            "moet gaan naar",
            "stuur het naar",
            "bezorg het op",
        ],
    ),
    (
        "address",
        &[
            "adresse",
            "anschrift",
            "direccion",
            "adres",
            "addres",
            "adress",
        ],
    ),
    (
        "account",
        &[
            "konto",
            "kundenkonto",
            "benutzerkonto",
            "compte",
            "cuenta",
            "mi cuenta",
            "profil",
            "perfil",
        ],
    ),
    (
        "default",
        &[
            "standard",
            "standardadresse",
            "par defaut",
            "predeterminada",
            "predeterminado",
            "por defecto",
            "principal",
            "standaard",
            "standaardadres",
            "hoofdadres",
        ],
    ),
    (
        "change",
        &[
            "update",
            "actualizar",
            "actualicen",
            "actualice",
            "aktualisieren",
            "mettre a jour",
            "bijwerken",
            "modify",
            "edit",
            "andern",
            "anderung",
            "wechseln",
            "modifier",
            "changer",
            "cambiar",
            "modificar",
            "wijzigen",
            "veranderen",
            "aanpassen",
            "correct",
        ],
    ),
    (
        "payment",
        &[
            "pay",
            "paying",
            "paid",
            "zahlung",
            "zahlungsmethode",
            "zahlungsart",
            "bezahlen",
            "bezahlt",
            "paiement",
            "payer",
            "paye",
            "pago",
            "pagar",
            "pague",
            "betaling",
            "betalen",
            "betaalmethode",
            "betaald",
        ],
    ),
    (
        "card",
        &[
            "karte",
            "kreditkarte",
            "carte",
            "tarjeta",
            "kaart",
            "creditcard",
        ],
    ),
    (
        "item",
        &[
            "artikel",
            "article",
            "articles",
            "articulo",
            "articulos",
            "producto",
            "productos",
            "produit",
            "produits",
            "product",
            "products",
            "thing",
            "things",
            "stuff",
        ],
    ),
    (
        "track",
        &[
            "where is",
            "where's",
            "wheres",
            "where are",
            "tracking",
            "wo ist",
            "wo bleibt",
            "ou est",
            "donde esta",
            "waar is",
            "waar blijft",
            "sendungsverfolgung",
            "suivre",
            "rastrear",
            "volgen",
            "status",
            "shipped",
            "arrive",
            "arrived",
            "delivered",
        ],
    ),
    (
        "moved",
        &[
            "umgezogen",
            "demenage",
            "me mude",
            "me he mudado",
            "verhuisd",
            "relocated",
        ],
    ),
    (
        "mistake",
        &[
            "by mistake",
            "mistakenly",
            "by accident",
            "accidentally",
            "accident",
            "in error",
            "aus versehen",
            "versehentlich",
            "versehen",
            "irrtumlich",
            "par erreur",
            "par accident",
            "erreur",
            "por error",
            "sin querer",
            "por equivocacion",
            "equivocacion",
            "per ongeluk",
            "per vergissing",
            "vergissing",
            "wrong thing",
            "didn't mean to",
            "did not mean to",
            "unintentionally",
            "misclick",
            "misclicked",
            "clicked wrong",
            "ordered the wrong",
            "fehlbestellung",
            "verklickt",
            "falsch bestellt",
            "vertan",
            "aus verseehn",
            "je me suis trompe",
            "trompe",
            "me equivoque",
            "equivoque",
            "verkeerd besteld",
            "verkeerd geklikt",
            "vergist",
        ],
    ),
    (
        "noneed",
        &[
            "no longer needed",
            "no longer need",
            "don't need",
            "dont need",
            "do not need",
            "not needed",
            "no need",
            "don't want it",
            "dont want it",
            "do not want it",
            "anymore",
            "any more",
            "need it no more",
            "nicht mehr",
            "brauche",
            "plus besoin",
            "n'en ai plus besoin",
            "ya no lo necesito",
            "ya no la necesito",
            "no lo necesito",
            "ya no",
            "niet meer nodig",
            "niet meer",
            "niet langer nodig",
            "niet langer",
            "heb het niet nodig",
            "niet nodig",
            "nicht mehr notig",
            "nicht notig",
            "brauchen",
            "plus utile",
            "plus l'utilite",
            "n'en ai plus l'utilite",
            "plus d'utilite",
            "ne me sert plus",
            "ne sert plus",
            "pas besoin",
            "no me hace falta",
            "ya no me sirve",
            "no la necesito",
            "changed my mind",
        ],
    ),
];

/// Colours, materials and sizes in the five languages (adjective endings included), read as
/// the English words catalogues use ("das graue Pet Bed", "el casco blanco").
const DETAIL_CONCEPTS: &[(&str, &[&str])] = &[
    (
        "black",
        &[
            "schwarz",
            "schwarze",
            "schwarzen",
            "schwarzer",
            "schwarzes",
            "noir",
            "noire",
            "noirs",
            "noires",
            "negro",
            "negra",
            "negros",
            "negras",
            "zwart",
            "zwarte",
        ],
    ),
    (
        "white",
        &[
            "weiss", "weisse", "weissen", "weisser", "weisses", "blanc", "blanche", "blancs",
            "blanches", "blanco", "blanca", "blancos", "blancas", "wit", "witte",
        ],
    ),
    (
        "grey",
        &[
            "gray", "grau", "graue", "grauen", "grauer", "graues", "gris", "grise", "grises",
            "grijs", "grijze",
        ],
    ),
    (
        "blue",
        &[
            "blau", "blaue", "blauen", "blauer", "blaues", "bleu", "bleue", "bleus", "bleues",
            "azul", "azules", "blauw", "blauwe",
        ],
    ),
    (
        "red",
        &[
            "rot", "rote", "roten", "roter", "rotes", "rouge", "rouges", "rojo", "roja", "rojos",
            "rojas", "rood", "rode",
        ],
    ),
    (
        "green",
        &[
            "grun", "grune", "grunen", "gruner", "grunes", "vert", "verte", "verts", "vertes",
            "verde", "verdes", "groen", "groene",
        ],
    ),
    (
        "brown",
        &[
            "braun", "braune", "braunen", "brauner", "braunes", "marron", "marrons", "brun",
            "brune", "bruin", "bruine",
        ],
    ),
    (
        "yellow",
        &[
            "gelb", "gelbe", "gelben", "jaune", "jaunes", "amarillo", "amarilla", "geel", "gele",
        ],
    ),
    ("pink", &["rosa", "rose", "roses", "roze"]),
    (
        "purple",
        &[
            "lila", "violett", "violette", "violet", "morado", "morada", "paars", "paarse",
        ],
    ),
    ("orange", &["naranja", "oranje"]),
    (
        "silver",
        &[
            "silber",
            "silberne",
            "silbernen",
            "argent",
            "argente",
            "argentee",
            "plateado",
            "plateada",
            "plata",
            "zilver",
            "zilveren",
        ],
    ),
    (
        "gold",
        &[
            "golden", "goldene", "goldenen", "dore", "doree", "dorado", "dorada", "goud", "gouden",
        ],
    ),
    ("beige", &["beis"]),
    (
        "leather",
        &["leder", "cuir", "cuero", "piel", "leer", "leren"],
    ),
    ("cotton", &["baumwolle", "coton", "algodon", "katoen"]),
    (
        "wood",
        &["holz", "bois", "madera", "hout", "houten", "wooden"],
    ),
    ("glass", &["glas", "verre", "vidrio", "cristal"]),
    ("metal", &["metall", "metal", "metaal", "metalen"]),
    (
        "plastic",
        &["kunststoff", "plastik", "plastique", "plastico"],
    ),
    (
        "stainless steel",
        &[
            "edelstahl",
            "acier inoxydable",
            "inox",
            "acero inoxidable",
            "roestvrij staal",
            "rvs",
        ],
    ),
    (
        "small",
        &[
            "klein", "kleine", "kleinen", "petit", "petite", "pequeno", "pequena",
        ],
    ),
    (
        "medium",
        &[
            "mittel",
            "mittlere",
            "mittleren",
            "moyen",
            "moyenne",
            "mediano",
            "mediana",
            "middel",
            "middelgroot",
            "middelgrote",
        ],
    ),
    (
        "large",
        &[
            "gross", "grosse", "grossen", "grand", "grande", "grandes", "groot", "grote",
        ],
    ),
    ("size", &["taille", "talla", "tamano", "maat"]),
    ("color", &["colour", "farbe", "couleur", "kleur"]),
    (
        "different address",
        &[
            "somewhere else",
            "another place",
            "a different place",
            "elsewhere",
            "woanders",
            "woandershin",
            "ailleurs",
            "a otro sitio",
            "otro lugar",
            "ergens anders",
        ],
    ),
    (
        "hours",
        &[
            "heures", "heure", "stunden", "stunde", "std", "horas", "hora", "uur", "uren",
        ],
    ),
    (
        "water resistance",
        &[
            "resistante a l'eau",
            "resistant a l'eau",
            "resistance a l'eau",
            "wasserfest",
            "wasserfeste",
            "wasserbestandig",
            "wasserbestandige",
            "resistente al agua",
            "waterbestendig",
            "waterbestendige",
            "water resistant",
        ],
    ),
    (
        "waterproof",
        &[
            "wasserdicht",
            "wasserdichte",
            "etanche",
            "impermeable",
            "waterdicht",
            "waterdichte",
        ],
    ),
];

/// Descriptions of payment methods and "all of it", for choosing among a customer's records.
const RECORD_CONCEPTS: &[(&str, &[&str])] = &[
    (
        "gift card",
        &[
            "giftcard",
            "gift-card",
            "geschenkkarte",
            "gutscheinkarte",
            "gutschein",
            "carte cadeau",
            "carte-cadeau",
            "bon cadeau",
            "tarjeta de regalo",
            "tarjeta regalo",
            "cadeaukaart",
            "cadeaubon",
            "cadeaukaartje",
        ],
    ),
    (
        "paypal",
        &[
            "paypal-account",
            "paypal-konto",
            "paypalkonto",
            "compte paypal",
            "cuenta de paypal",
            "cuenta paypal",
            "paypal account",
            "paypal-rekening",
        ],
    ),
    (
        "credit card",
        &[
            "kreditkarte",
            "carte de credit",
            "carte bancaire",
            "tarjeta de credito",
            "creditcard",
        ],
    ),
    (
        "original",
        &[
            "originale",
            "originales",
            "oorspronkelijke",
            "oorspronkelijk",
            "ursprungliche",
            "ursprunglichen",
            "ursprunglich",
            "so wie ich bezahlt habe",
            "wie ich bezahlt habe",
            "comme j'ai paye",
            "d'origine",
            "origine",
            "origen",
            "como pague",
            "zoals ik betaald heb",
            "same way i paid",
            "the way i paid",
            "what i paid with",
            "i paid with",
            "same payment method",
            "same method",
            "same card",
            "where it came from",
        ],
    ),
    (
        "all",
        &[
            "everything",
            "all of them",
            "all of it",
            "whole order",
            "entire order",
            "alles",
            "alle",
            "tout",
            "toute la commande",
            "la commande entiere",
            "todo",
            "todos",
            "el pedido entero",
            "todo el pedido",
            "de hele bestelling",
            "allemaal",
        ],
    ),
];

/// Phrase → canonical words, and the longest phrase length in words.
static LEXICON: LazyLock<(HashMap<&'static str, &'static str>, usize)> = LazyLock::new(|| {
    let mut map = HashMap::new();
    let mut longest = 1;
    for (canonical, phrases) in CONCEPTS
        .iter()
        .chain(RECORD_CONCEPTS)
        .chain(DETAIL_CONCEPTS)
    {
        for phrase in *phrases {
            longest = longest.max(phrase.split(' ').count());
            map.insert(*phrase, *canonical);
        }
    }
    (map, longest)
});

/// Whether a folded word is one the lexicon knows on its own ("umgezogen", "stornieren"): a
/// word of the trade, not a person's name.
pub fn is_lexicon_word(word: &str) -> bool {
    // Colours and materials are left out: Rosa, Blanca and Violet are names too.
    CONCEPTS
        .iter()
        .any(|(canonical, phrases)| *canonical == word || phrases.contains(&word))
}

/// The folded tokens of a text with known phrases replaced by their canonical word (longest
/// phrase first); other tokens are kept as they are.
pub fn canonical_tokens(tokens: &[String]) -> Vec<String> {
    let (map, longest) = &*LEXICON;
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let mut matched = None;
        for len in (1..=(*longest).min(tokens.len() - i)).rev() {
            let phrase = tokens[i..i + len].join(" ");
            if let Some(canonical) = map.get(phrase.as_str()) {
                matched = Some((len, *canonical));
                break;
            }
        }
        match matched {
            Some((len, canonical)) => {
                out.extend(canonical.split(' ').map(str::to_string));
                i += len;
            }
            None => {
                out.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::Normal;

    fn canonical(text: &str) -> Vec<String> {
        canonical_tokens(&Normal::new(text).tokens)
    }

    #[test]
    fn paraphrases_and_other_languages_read_as_one_word() {
        assert!(canonical("I want to send it back").contains(&"return".to_string()));
        assert!(canonical("Ich möchte das zurückschicken").contains(&"return".to_string()));
        assert!(canonical("bitte stornieren").contains(&"cancel".to_string()));
        assert!(canonical("I bought it by accident").contains(&"mistake".to_string()));
        assert!(canonical("no longer needed").contains(&"noneed".to_string()));
        assert!(canonical("I don't need it anymore").contains(&"noneed".to_string()));
        assert_eq!(canonical("the blue lamp"), ["the", "blue", "lamp"]);
    }
}
