"""French phrase banks (same keys and placeholders as the English ones)."""

from __future__ import annotations

DIGITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
PLUS = "plus"
DOUBLE = "double"

ETHNICITY = {
    "latina": "latine",
    "asian": "asiatique",
    "east_european": "de l'Est",
    "african": "africaine",
    "caribbean": "antillaise",
    "brazilian": "brésilienne",
    "exotic": "exotique",
}

FEMALE_NAMES = (
    "Amélie", "Brigitte", "Camille", "Chloé", "Élise", "Fanny", "Gaëlle", "Hélène", "Inès",
    "Julie", "Léa", "Manon", "Nadia", "Océane", "Pauline", "Sophie", "Léonie", "Valérie",
    "Yasmine", "Zoé",
)  # fmt: skip
MALE_NAMES = (
    "Antoine", "Bastien", "Cédric", "Damien", "Étienne", "François", "Guillaume", "Henri",
    "Julien", "Karim", "Laurent", "Mathieu", "Nicolas", "Olivier", "Pierre", "Romain",
    "Sébastien", "Thomas", "Vincent", "Yann",
)  # fmt: skip

SECTORS = {
    "domestic": ("employée de maison", "nounou", "aide ménagère", "domestique logée"),
    "hospitality": ("serveuse", "réceptionniste d'hôtel", "commis de cuisine", "barmaid"),
    "agriculture": ("cueilleur de fruits", "ouvrier agricole", "ouvrier de serre", "emballeur"),
    "construction": ("ouvrier du bâtiment", "maçon", "manœuvre", "soudeur"),
    "modelling": ("mannequin", "modèle photo", "hôtesse d'image", "égérie de marque"),
    "entertainment": ("danseuse", "hôtesse de club", "chanteuse", "animatrice"),
    "factory": ("ouvrier d'usine", "opérateur machine", "préparateur de commandes", "emballeur"),
    "care": ("aide à domicile", "auxiliaire de vie", "aide-soignante", "garde-malade"),
    "fishing": ("matelot", "marin pêcheur", "ouvrier de conserverie", "équipage de pêche"),
    "office": ("assistant de bureau", "comptable", "commercial", "technicien informatique"),
}

BANKS: dict[str, tuple[str, ...]] = {
    "ad.title": (
        "{name}, {age} ans - {city}",
        "{name} à {city}",
        "Douce {name} ({age})",
        "{city} : {name}, {age}",
        "Rencontrez {name} - {city}",
        "{name} disponible maintenant",
    ),
    "ad.greeting": (
        "Bonjour messieurs !",
        "Coucou mon chéri,",
        "Salut !",
        "Bienvenue, mon amour.",
        "Bonsoir messieurs.",
        "Salut les gars,",
    ),
    "ad.intro": (
        "Je suis {name}, {age} ans.",
        "Je m'appelle {name}, j'ai {age} ans.",
        "{name}, {age} ans.",
        "Moi c'est {name}, {age} ans.",
        "On m'appelle {name}, {age} ans.",
    ),
    "ad.ethnicity": (
        "Douce fille {ethnicity}.",
        "Belle femme {ethnicity}.",
        "Beauté {ethnicity}.",
        "Ton rêve {ethnicity}.",
        "Vraie fille {ethnicity}.",
    ),
    "ad.youth": (
        "Jeune et fraîche {emoji}",
        "Petite et douce {emoji}",
        "Nouvelle jeune fille {emoji}",
        "Très jeune {emoji}",
        "Menue et joueuse {emoji}",
    ),
    "ad.trust": (
        "Photos 100% réelles.",
        "Vraies photos, pas de fake.",
        "Authentique et vérifiée, pas d'arnaque.",
        "Mes photos sont 100% vraies.",
        "Pas de pièges, vraie fille.",
        "Sérieuse et de confiance.",
    ),
    "ad.movement": (
        "Nouvelle en ville !",
        "Tout juste arrivée à {city}.",
        "Seulement quelques jours ici.",
        "De passage à {city} cette semaine.",
        "En tournée, derniers jours à {city}.",
    ),
    "ad.describe": (
        "Douce, gentille et discrète.",
        "Compagne élégante pour un moment de détente.",
        "Expérience petite amie, très ouverte.",
        "Classe et drôle, j'aime la bonne compagnie.",
        "Sourire chaleureux et peau douce.",
        "Sensuelle et attentionnée.",
    ),
    "ad.availability": (
        "Disponible 24h/24.",
        "Je reçois et je me déplace.",
        "Disponible jour et nuit.",
        "Ouvert tous les jours dès 10h.",
        "Appartement privé, je reçois seulement.",
        "Déplacements à l'hôtel.",
    ),
    "ad.price": (
        "{price} {currency} de l'heure.",
        "À partir de {price} {currency}.",
        "Tarif : {price} {currency}/h.",
        "Cadeau {price} {currency}.",
    ),
    "ad.contact": (
        "Appelle-moi au {phone}",
        "SMS ou WhatsApp {phone}",
        "Appel ou SMS : {phone}",
        "Contact {phone}",
        "Uniquement WhatsApp {phone}",
    ),
    "ad.closing": ("Bisous", "À bientôt", "Gros bisous", "N'attends pas", "Appelle vite", "Câlins"),
    "massage.intro": (
        "Massage professionnel à {city}.",
        "Massage relaxant du corps par {name}.",
        "Massage asiatique et spa.",
        "Massage complet aux huiles et pierres chaudes.",
        "Institut de massage au centre de {city}.",
    ),
    "massage.describe": (
        "Salle propre et calme, douche chaude.",
        "Suédois, tissus profonds et aromathérapie.",
        "Détendez-vous après une longue journée.",
        "Praticiennes diplômées, serviettes fournies.",
        "Ambiance calme, parking gratuit.",
    ),
    "job.title": (
        "Recherche {role} à {job_city}, {job_country}",
        "Recrutement : {role} ({job_country})",
        "{role} - travailler en {job_country}",
        "Urgent : {role} pour {job_city}",
        "Offre d'emploi : {role} en {job_country}",
    ),
    "job.intro": (
        "{company} recrute.",
        "Nous cherchons des personnes motivées.",
        "Belle opportunité avec {company}.",
        "{company} recherche du personnel pour la nouvelle saison.",
        "Rejoignez notre équipe.",
    ),
    "job.role": (
        "Poste : {role} à {job_city}, {job_country}.",
        "Nous cherchons un(e) {role} pour travailler à {job_city}.",
        "Travaillez comme {role} en {job_country}.",
        "Poste de {role} à pourvoir à {job_city}.",
    ),
    "job.no_experience": (
        "Aucune expérience demandée.",
        "Sans expérience ni diplôme.",
        "Tout le monde peut postuler, formation sur place.",
        "Pas besoin de compétences, on vous apprend tout.",
    ),
    "job.experience": (
        "Au moins deux ans d'expérience exigés.",
        "Expérience et références exigées.",
        "Une expérience sur un poste similaire est un plus.",
        "Permis de travail valide obligatoire.",
    ),
    "job.pay": (
        "Salaire : {salary} {currency} par mois.",
        "Rémunération {salary} {currency}/mois.",
        "Vous gagnez {salary} {currency} chaque mois.",
        "Salaire mensuel {salary} {currency}.",
    ),
    "job.high_pay": (
        "Gagnez jusqu'à {salary} {currency} par mois, travail facile !",
        "Salaire {salary} {currency} par mois, payé en espèces.",
        "{salary} {currency} par mois sans stress.",
    ),
    "job.benefits": (
        "Logement et repas fournis.",
        "Logement gratuit près du travail.",
        "Billet d'avion payé par l'employeur.",
        "Voyage et logement payés.",
        "Congés payés et assurance maladie.",
    ),
    "job.visa": (
        "Visa sponsorisé.",
        "Nous nous occupons de votre visa et de vos papiers.",
        "Visa de travail fourni par l'entreprise.",
        "Parrainage de visa possible.",
    ),
    "job.fee": (
        "Des frais de dossier de {fee} {currency} sont payés avant le départ.",
        "Frais d'inscription {fee} {currency}, payables d'avance.",
        "Payez d'abord {fee} {currency} pour le visa et le billet.",
        "Petits frais de recrutement de {fee} {currency}.",
    ),
    "job.passport": (
        "L'employeur garde votre passeport par sécurité.",
        "Le passeport sera conservé par l'entreprise pendant le contrat.",
        "Remettez votre passeport à l'arrivée, nous le gardons.",
        "Envoyez vite une copie du passeport pour réserver votre place.",
    ),
    "job.legit": (
        "Agence de recrutement agréée, licence n° {licence}.",
        "Nous ne facturons jamais les candidats.",
        "Contrat écrit dans votre langue avant le départ.",
        "Société enregistrée, entretiens en visio.",
    ),
    "job.contact_app": (
        "Contact uniquement par WhatsApp : {phone}",
        "Message sur Telegram au {phone}, pas d'appels.",
        "WhatsApp seulement {phone}",
        "Écrivez-nous sur WhatsApp au {phone}",
    ),
    "job.contact": (
        "Postulez par e-mail à {email}.",
        "Envoyez votre CV à {email} ou appelez le {phone}.",
        "Candidatez sur {website}.",
        "Appelez le {phone} du lundi au vendredi.",
    ),
    "bio.scout": (
        "Découvreur de talents pour agences internationales.",
        "Agent de mannequins, j'aide les filles à débuter.",
        "Recruteur : bons emplois à l'étranger.",
        "J'aide à trouver du travail en Europe et dans le Golfe.",
        "Directeur de casting, toujours à la recherche de nouveaux visages.",
    ),
    "bio.romance": (
        "Je cherche le grand amour et une relation sérieuse.",
        "Homme au grand cœur, cherche épouse pour fonder une famille.",
        "Homme d'affaires qui voyage, je cherche mon âme sœur.",
        "Ingénieur expatrié, envie de rencontrer quelqu'un de spécial.",
    ),
    "bio.offplatform": (
        "Écris-moi ou WhatsApp {phone}",
        "Demandes sérieuses sur Telegram {phone}",
        "Contacte-moi sur WhatsApp pour les détails",
        "Envoie-moi un message, je réponds vite",
    ),
    "bio.self": (
        "Infirmière, fan de café et de chiens.",
        "Étudiante à {city}.",
        "Mécanicien. Foot le dimanche.",
        "Prof, voyageuse et cuisinière amatrice.",
        "J'habite à {city}, je travaille dans la vente.",
        "Maman de deux enfants, j'adore la randonnée.",
        "Musique, livres et bonne cuisine.",
    ),
    "bio.business": (
        "Les meilleures offres à {city} ! Commandez.",
        "Abonnés et likes pas chers, livraison rapide.",
        "Salon de beauté à {city}, réservez aujourd'hui.",
        "Réparation de téléphones et accessoires, {city}.",
    ),
    "bio.agency": (
        "Agence de recrutement agréée. Emplois à l'étranger, sans frais.",
        "Agence de recrutement enregistrée : emplois légaux à l'étranger, contrats écrits.",
    ),
    "msg.flattery": (
        "Bonjour ma chère, tu es très belle, j'ai vu tes photos.",
        "Coucou ma belle, ton sourire est magnifique.",
        "Bonjour, on voit que tu es travailleuse et très jolie.",
        "Salut mon amie, tu ressembles à un mannequin.",
    ),
    "msg.offer": (
        "J'ai un très bon travail pour toi en {job_country}, {salary} {currency} par mois.",
        "Mon agence cherche des filles pour du mannequinat en {job_country}.",
        "Il y a du travail dans un hôtel à {job_city}, bien payé, je peux t'aider.",
        "Je peux t'emmener en {job_country}, tu auras une vie meilleure avec moi.",
    ),
    "msg.offplatform": (
        "Parlons sur WhatsApp, ajoute-moi {phone}",
        "Cette appli n'est pas sûre, écris-moi sur Telegram {phone}",
        "Appelle-moi sur WhatsApp au {phone}, c'est plus simple.",
        "Écris-moi ici : {phone}, je suis toujours en ligne.",
    ),
    "msg.request": (
        "Envoie-moi une copie de ton passeport pour préparer le visa.",
        "Envoie-moi des photos en pied pour l'agence.",
        "Tu dois juste payer {fee} {currency} pour le billet, je paie le reste.",
        "Envoie tes photos et ta pièce d'identité aujourd'hui, il reste peu de places.",
    ),
    "msg.travel": (
        "Je t'achète le billet, tu pars la semaine prochaine.",
        "Mon ami viendra te chercher à l'aéroport de {job_city}.",
        "Ne dis rien à ta famille pour l'instant, c'est une surprise.",
        "Prends peu de bagages, tout est fourni là-bas.",
    ),
    "msg.chat": (
        "On se voit toujours samedi ?",
        "Joyeux anniversaire ! Passe une belle journée.",
        "Tu as vu le match hier ?",
        "Tu peux m'envoyer la recette ?",
        "Je suis en retard, on se voit à 19h.",
        "Merci pour les photos du voyage !",
        "Comment va ta mère ?",
    ),
    "msg.spam": (
        "Grande promo cette semaine seulement ! Appelez le {phone}",
        "1000 abonnés pour 5 {currency}. WhatsApp {phone}",
        "Prêts accordés en 24h, sans questions. Appelez {phone}",
        "Coques de téléphone pas chères, livraison gratuite à {city}. SMS {phone}",
    ),
    "msg.recruiter": (
        "Bonjour, nous avons lu votre CV. Prenez rendez-vous sur {website}.",
        "Cher candidat, {company} recrute en {job_country}. Aucun frais n'est demandé.",
        "Merci de votre intérêt. Notre bureau de {city} répond au {phone}.",
    ),
    "msg.hotline": (
        "Si vous ou un proche êtes forcé de travailler, appelez la ligne d'aide {phone}.",
        "Besoin d'aide ? Ligne confidentielle {phone}, 24h/24.",
    ),
}
