"""Wording for the heldout-5 dedupe set: topics, review pieces, names, templates."""

# Each topic: business, and per language a subject, a long e-mail body, a terse
# chat line and an alternative phrasing of the same problem.
TOPICS = [
 ("pharmacy", "rx_not_ready",
  {"subj": "Ordonnance toujours pas préparée", "long": "Je suis passée hier à la pharmacie Pharmalia de la rue Gambetta pour retirer mon ordonnance déposée en ligne lundi, et elle n'était toujours pas prête. On m'a dit de revenir mais personne ne m'a prévenue. J'ai besoin de ce traitement avant le week-end.", "short": "mon ordonnance deposee lundi est toujours pas prete, c'est pour quand ?", "alt": "Le retrait de mon ordonnance en ligne n'est pas disponible alors que l'appli affichait « prête ». Je me suis déplacée pour rien."},
  {"subj": "Prescription still not ready", "long": "I uploaded my prescription through the Pharmalia app on Monday and went to collect it yesterday, but the pharmacy said it hadn't been prepared. Nobody told me. I really need the medication before the weekend.", "short": "my prescription from monday still isnt ready?? need it before sat", "alt": "The app said my prescription was ready for pickup but at the counter they had nothing. Wasted trip."}),
 ("pharmacy", "loyalty_points",
  {"subj": "Points fidélité disparus", "long": "Mes points de fidélité Pharmalia sont passés de 340 à 0 sans explication après mon dernier achat. J'avais prévu de les utiliser pour un bon de réduction.", "short": "mes points fidelite ont disparu, j'avais 340 pts", "alt": "Mon solde de points sur la carte Pharmalia affiche zéro alors que j'en avais plus de trois cents."},
  {"subj": "Loyalty points gone", "long": "My Pharmalia loyalty balance dropped from 340 points to zero after my last purchase, with no explanation. I was about to redeem them for a voucher.", "short": "my loyalty points vanished, had 340", "alt": "Card balance shows 0 points, I had over three hundred last week."}),
 ("coworking", "badge_access",
  {"subj": "Badge refusé à l'entrée", "long": "Depuis ce matin mon badge ne m'ouvre plus la porte de l'espace La Ruche Bastille, alors que mon abonnement est payé jusqu'à fin novembre. J'ai dû attendre qu'un autre membre m'ouvre.", "short": "mon badge marche plus a la porte de bastille", "alt": "Le lecteur à l'entrée clignote rouge quand je passe ma carte, impossible d'entrer dans les locaux."},
  {"subj": "Access badge rejected", "long": "Since this morning my badge no longer opens the door at La Ruche Bastille, although my membership is paid until the end of November. I had to wait for another member to let me in.", "short": "badge not working at the bastille door", "alt": "The reader at the entrance flashes red when I tap my card, can't get into the space."}),
 ("coworking", "room_double_booked",
  {"subj": "Salle de réunion réservée deux fois", "long": "J'avais réservé la salle Tilleul jeudi de 14h à 16h pour un rendez-vous client, et en arrivant une autre équipe l'occupait avec une réservation au même créneau. C'est très gênant devant un client.", "short": "salle tilleul reservee en double jeudi, on a du partir", "alt": "Ma réservation de salle de réunion a été attribuée à quelqu'un d'autre au même horaire."},
  {"subj": "Meeting room double-booked", "long": "I had booked the Tilleul room on Thursday from 2 to 4pm for a client meeting and when we arrived another team was in it with a booking for the same slot. Quite embarrassing in front of a client.", "short": "tilleul room was double booked thursday", "alt": "Someone else got my meeting room booking for the exact same time."}),
 ("language_app", "streak_lost",
  {"subj": "Série de 200 jours perdue", "long": "J'utilise Parlio tous les jours pour l'italien et ma série de 212 jours est repassée à zéro alors que j'ai bien fait ma leçon hier soir. Le protecteur de série n'a pas marché non plus.", "short": "ma serie de 212 jours est a 0 alors que j'ai fait ma lecon hier", "alt": "Parlio a remis mon compteur de jours consécutifs à zéro, pourtant j'ai pratiqué hier."},
  {"subj": "Lost my 212-day streak", "long": "I use Parlio every day for Italian and my 212-day streak reset to zero even though I did my lesson last night. The streak freeze didn't kick in either.", "short": "streak reset to 0, did my lesson yesterday!!", "alt": "Parlio wiped my daily streak counter even though I practised yesterday."}),
 ("language_app", "premium_double_charge",
  {"subj": "Abonnement Premium débité deux fois", "long": "J'ai été prélevée deux fois de 12,99 € pour l'abonnement Parlio Premium ce mois-ci. Je n'ai qu'un seul compte. Merci de rembourser le doublon.", "short": "debitee 2 fois 12,99 pour premium", "alt": "Deux prélèvements identiques pour Parlio Premium sur mon relevé, je veux le remboursement d'un des deux."},
  {"subj": "Charged twice for Premium", "long": "I've been charged £9.99 twice for Parlio Premium this month. I only have one account. Please refund the duplicate.", "short": "charged twice for premium this month", "alt": "Two identical Parlio Premium charges on my statement, I want one refunded."}),
 ("carsharing", "car_dirty_fee",
  {"subj": "Frais de nettoyage injustifiés", "long": "On m'a facturé 35 € de frais de nettoyage pour la Zoé empruntée samedi, alors que je l'ai rendue propre. J'ai même des photos prises au retour sur le parking.", "short": "35e de nettoyage factures pour la zoe de samedi, elle etait propre", "alt": "Je conteste la pénalité de nettoyage sur ma location de samedi, j'ai des photos du véhicule propre."},
  {"subj": "Unfair cleaning fee", "long": "I was charged a €35 cleaning fee for the car I used on Saturday, but I returned it clean. I even have photos I took in the car park when I dropped it off.", "short": "got a 35 cleaning fee for saturday, car was clean", "alt": "I dispute the cleaning penalty on my Saturday trip, I have photos of the clean car."}),
 ("carsharing", "car_wont_unlock",
  {"subj": "Voiture impossible à déverrouiller", "long": "La voiture réservée station Jaurès ne se déverrouille pas avec l'appli Volta. J'ai essayé plusieurs fois, Bluetooth activé, rien. Ma réservation tourne et je suis en retard.", "short": "la voiture a jaures s'ouvre pas avec l'appli", "alt": "Impossible d'ouvrir le véhicule réservé, le bouton déverrouiller ne fait rien."},
  {"subj": "Car won't unlock", "long": "The car I booked at the Jaures station won't unlock with the Volta app. Tried several times with Bluetooth on, nothing. My booking is running and I'm late.", "short": "car at jaures won't unlock from the app", "alt": "Can't open the reserved vehicle, unlock button does nothing."}),
 ("petfood", "box_not_delivered",
  {"subj": "Colis de croquettes non reçu", "long": "Ma box Croquettes Club d'octobre est indiquée livrée depuis mardi mais je n'ai rien reçu, ni dans la boîte aux lettres ni chez le gardien. Mon chien n'a plus que deux jours de croquettes.", "short": "box d'octobre marquee livree mais rien recu", "alt": "Le suivi dit que le colis est livré, pourtant aucune trace des croquettes chez moi."},
  {"subj": "Kibble box never arrived", "long": "My October Croquettes Club box has shown as delivered since Tuesday but I never got it, not in the mailbox nor with the concierge. My dog has two days of food left.", "short": "october box says delivered, got nothing", "alt": "Tracking claims delivered but there's no parcel at my place."}),
 ("petfood", "wrong_recipe",
  {"subj": "Mauvaise recette livrée", "long": "J'ai reçu des croquettes au poulet alors que mon chat est allergique et que mon abonnement est au saumon sans céréales. C'est écrit dans mon profil.", "short": "recu poulet au lieu de saumon, mon chat est allergique", "alt": "Erreur de recette dans ma livraison : volaille au lieu du saumon prévu dans l'abonnement."},
  {"subj": "Wrong recipe delivered", "long": "I received chicken kibble although my cat is allergic and my subscription is grain-free salmon. It's in my profile.", "short": "got chicken instead of salmon, cat is allergic", "alt": "Wrong recipe in my delivery: poultry instead of the salmon on my plan."}),
 ("venue", "tickets_not_received",
  {"subj": "Billets non reçus", "long": "J'ai acheté deux places pour le concert du 31 octobre au Hangar 9 et je n'ai jamais reçu les billets par e-mail. Le paiement est bien passé sur ma carte.", "short": "pas recu mes 2 billets pour le 31 oct, paiement passe", "alt": "Aucun e-billet reçu pour ma commande du concert d'Halloween, alors que j'ai été débité."},
  {"subj": "Tickets never received", "long": "I bought two tickets for the October 31st show at Hangar 9 and never got the e-tickets by email. The payment went through on my card.", "short": "never got my 2 tickets for oct 31", "alt": "No e-tickets for my Halloween gig order even though I was charged."}),
 ("venue", "show_cancelled_refund",
  {"subj": "Remboursement concert annulé", "long": "Le concert du 22 octobre a été annulé et on nous a promis un remboursement sous 7 jours. Deux semaines plus tard, toujours rien sur mon compte.", "short": "toujours pas rembourse du concert annule du 22", "alt": "Je n'ai pas reçu le remboursement de mes places pour la date annulée."},
  {"subj": "Refund for cancelled show", "long": "The October 22nd show was cancelled and we were promised a refund within 7 days. Two weeks later there's still nothing on my account.", "short": "still no refund for the cancelled show on the 22nd", "alt": "Haven't received the refund for my tickets to the cancelled date."}),
 ("insurance", "claim_water_damage",
  {"subj": "Dossier dégât des eaux sans réponse", "long": "J'ai déclaré un dégât des eaux dans ma cuisine il y a trois semaines via votre courtage et l'expert n'est toujours pas passé. Le plafond continue de s'abîmer.", "short": "degat des eaux declare il y a 3 semaines, toujours pas d'expert", "alt": "Aucun expert n'a été envoyé pour mon sinistre de fuite d'eau, ça empire."},
  {"subj": "Water damage claim unanswered", "long": "I reported water damage in my kitchen three weeks ago through your brokerage and the assessor still hasn't come. The ceiling keeps getting worse.", "short": "water damage claim 3 weeks ago, no assessor yet", "alt": "No assessor sent for my leak claim, it's getting worse."}),
 ("insurance", "attestation_missing",
  {"subj": "Attestation d'assurance habitation", "long": "Mon propriétaire me réclame l'attestation d'assurance habitation pour le nouveau bail et je ne la trouve pas dans mon espace client. Pouvez-vous me l'envoyer ?", "short": "besoin de mon attestation habitation pour le proprio", "alt": "L'attestation de mon contrat habitation n'apparaît pas dans l'espace client, mon bailleur l'attend."},
  {"subj": "Home insurance certificate", "long": "My landlord is asking for my home insurance certificate for the new lease and I can't find it in my customer area. Could you send it to me?", "short": "need my home insurance certificate for landlord", "alt": "The certificate for my home policy isn't in my account and my landlord is waiting."}),
 ("furniture", "sofa_damaged",
  {"subj": "Canapé livré abîmé", "long": "Le canapé d'angle livré ce matin a un accroc de 10 cm sur l'accoudoir gauche et un pied cassé. Le livreur est parti avant que je puisse vérifier.", "short": "canape livre ce matin dechire + pied casse", "alt": "Mon canapé est arrivé endommagé : tissu déchiré et un pied cassé."},
  {"subj": "Sofa delivered damaged", "long": "The corner sofa delivered this morning has a 10 cm tear on the left armrest and a broken leg. The driver left before I could check it.", "short": "sofa came this morning torn and a leg broken", "alt": "My sofa arrived damaged: torn fabric and one broken foot."}),
 ("furniture", "delivery_slot_missed",
  {"subj": "Livraison manquée", "long": "J'ai pris une demi-journée pour la livraison de ma table entre 8h et 13h, personne n'est venu et personne n'a appelé. Je voudrais un nouveau créneau et une explication.", "short": "livreur jamais venu ce matin pour ma table", "alt": "Le créneau de livraison de ma table n'a pas été respecté, aucun appel."},
  {"subj": "Missed delivery", "long": "I took half a day off for my table delivery between 8am and 1pm, nobody came and nobody called. I'd like a new slot and an explanation.", "short": "delivery guy never showed up this morning for my table", "alt": "My table delivery slot was missed, no call at all."}),
 ("coworking", "invoice_wrong_company",
  {"subj": "Facture au mauvais nom", "long": "Les factures de mon abonnement coworking sont éditées à mon nom personnel au lieu de ma société, SARL Atelier Nord. Mon comptable ne peut pas les passer.", "short": "factures a mon nom au lieu de la societe", "alt": "Merci de refaire mes factures au nom de l'entreprise et non au mien."},
  {"subj": "Invoice under wrong name", "long": "The invoices for my coworking plan are issued in my personal name instead of my company, North Studio Ltd. My accountant can't book them.", "short": "invoices in my name not the company", "alt": "Please reissue my invoices to the company rather than to me."}),
 ("pharmacy", "click_collect_wrong_item",
  {"subj": "Erreur dans ma commande click & collect", "long": "Dans ma commande click & collect il manquait la crème solaire et à la place il y avait un shampoing que je n'ai pas commandé.", "short": "erreur dans mon click and collect, shampoing au lieu de la creme", "alt": "Produit manquant et produit en trop dans mon retrait en pharmacie."},
  {"subj": "Wrong item in click & collect", "long": "My click & collect order was missing the sunscreen and instead had a shampoo I never ordered.", "short": "click n collect had shampoo instead of sunscreen", "alt": "Missing item and an extra one in my pharmacy pickup."}),
]

FIRST_FR = ["Camille", "Léa", "Hugo", "Inès", "Mathis", "Chloé", "Yanis", "Manon", "Théo", "Jade", "Nathan", "Zoé", "Lucas", "Clémence", "Rayan", "Margaux", "Bastien", "Héloïse", "Karim", "Anaïs", "Gaëlle", "Rémi", "Solène", "Adrien", "Maëlys", "Noé", "Océane", "Florent", "Salomé", "Joël"]
LAST_FR = ["Lefèvre", "Moreau", "Garnier", "Rousseau", "Benali", "Fontaine", "Chevalier", "Perrin", "Marchand", "Lemaire", "Dufour", "Gauthier", "Nguyen", "Boyer", "Roux", "Mercier", "Colin", "Vidal", "Caron", "Brunet", "Masson", "Picard", "Ferrand", "Aubert"]
FIRST_EN = ["Olivia", "Harry", "Amelia", "Jack", "Isla", "Noah", "Freya", "Oscar", "Poppy", "Leo", "Ruby", "Arthur", "Maisie", "Alfie", "Evie", "Callum", "Niamh", "Rhys", "Priya", "Tom"]
LAST_EN = ["Hughes", "Patel", "Walsh", "Bennett", "Fletcher", "Doyle", "Khan", "Morgan", "Price", "Barker", "Lloyd", "Shaw", "Gallagher", "Reid", "Osei", "Marsh"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "outlook.fr", "hotmail.co.uk", "yahoo.fr", "proton.me", "sfr.fr", "btinternet.com"]

GREET = {"fr": ["Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,", "Hello,", "Bjr,", ""],
         "en": ["Hello,", "Hi there,", "Dear team,", "Hi,", "Good morning,", ""]}
SIGN = {"fr": ["Cordialement,\n{name}", "Merci d'avance,\n{name}", "--\n{name}", "Bonne journée\n{name}\n\nEnvoyé de mon iPhone", "Cdlt\n{first}", "{name}\n\nEnvoyé depuis mon appareil Android"],
        "en": ["Kind regards,\n{name}", "Thanks,\n{first}", "--\n{name}", "Best,\n{name}\n\nSent from my iPhone", "Cheers\n{first}", "{name}"]}
REMIND = {"fr": ["Relance : ", "Je me permets de vous relancer. ", "Toujours rien ?? ", "2e message. ", "RE-bonjour, "],
          "en": ["Following up: ", "Second time asking. ", "Any update?? ", "Chasing this again. ", "Still waiting. "]}
QUOTE_HDR = {"fr": "Le {wd}. {d} {m} 2026 à {hh}:{mm}, {name} <{email}> a écrit :",
             "en": "On {wd}, {m} {d}, 2026 at {h12}:{mm} {ap}, {name} <{email}> wrote:"}

# Ticket-number citations (same person following up). {n} is the number.
CITE = {"fr": ["Re: [#{n}]", "ticket {n}", "ticket #{n}", "demande n°{n}", "demande n° {n}", "[Ticket#{n}]", "dossier {n}", "ref. {n}", "votre référence {n}"],
        "en": ["Re: [#{n}]", "ticket {n}", "ticket #{n}", "[Ticket#{n}]", "ref. {n}"]}
FOLLOW = {"fr": ["Bonjour, je reviens vers vous au sujet de {c}. Aucune nouvelle depuis, pouvez-vous me dire où ça en est ?",
                 "{c} -- toujours en attente, merci de me répondre svp",
                 "Suite à {c} : rien n'a bougé de mon côté.",
                 "coucou, c'est pour {c}, quelqu'un s'en occupe ??",
                 "Bonjour, concernant {c}, j'ai une info en plus : {extra}"],
          "en": ["Hi, getting back to you about {c}. No news since, can you tell me where it stands?",
                 "{c} - still waiting, please reply",
                 "Re {c}: nothing has changed on my side.",
                 "hey, about {c}, is anyone on it??",
                 "Hello, regarding {c}, one more detail: {extra}"]}
EXTRA = {"fr": ["je serai absente jeudi.", "vous pouvez m'appeler après 18h.", "j'ai joint une photo.", "mon adresse a changé entre-temps."],
         "en": ["I'm away on Thursday.", "you can call me after 6pm.", "I attached a photo.", "my address changed in the meantime."]}
# Someone else citing a ticket number.
OTHER_CITE = {"fr": ["Bonjour, j'écris pour ma mère qui a ouvert le {c}, elle n'a pas internet. Pouvez-vous la rappeler ?",
                     "Mon collègue a le {c} pour le même souci, moi aussi ça m'arrive : {short}",
                     "Une amie m'a dit de mentionner le {c}, j'ai exactement le même problème : {short}"],
              "en": ["Hi, writing on behalf of my dad who opened {c}, he isn't online. Could you call him?",
                     "My colleague has {c} for the same thing, it's happening to me too: {short}",
                     "A friend told me to mention {c}, I have the same issue: {short}"]}
# Order / invoice / contract numbers that look like ticket numbers.
ORDER = {"fr": ["Bonjour, ma commande {n} n'est toujours pas expédiée, c'était prévu pour hier.",
                "Je ne comprends pas le montant de la facture {n}, il y a une ligne en double.",
                "Pouvez-vous résilier le contrat {n} à l'échéance ? Merci.",
                "commande n°{n} : il manque un article dans le colis",
                "La facture {n} est à mon ancienne adresse, merci de la corriger."],
         "en": ["Hi, my order #{n} still hasn't shipped, it was due yesterday.",
                "I don't understand invoice {n}, one line appears twice.",
                "Please cancel contract {n} at renewal. Thanks.",
                "order {n}: one item missing from the parcel",
                "Invoice {n} shows my old address, please fix it."]}
UNKNOWN = {"fr": ["Bonjour, toujours pas de réponse à mon {c} ouvert le mois dernier : {short}", "{c} — personne ne m'a rappelé. {short}"],
           "en": ["Hi, still no answer on my {c} from last month: {short}", "{c} - nobody called back. {short}"]}

# Store reviews: app, then per language several distinct sentences per problem.
REVIEW = {
 "Parlio": {
  "crash": {"fr": ["L'appli plante au démarrage depuis la mise à jour.", "Impossible d'ouvrir Parlio, écran blanc puis fermeture.", "Ça crashe dès que je lance une leçon.", "Depuis la version 5.2 l'application se ferme toute seule."],
            "en": ["App crashes on launch since the update.", "Can't open Parlio, white screen then it closes.", "Crashes as soon as I start a lesson.", "Since 5.2 the app just shuts itself."]},
  "audio": {"fr": ["Le micro ne reconnaît plus ma voix dans les exercices d'oral.", "Les exercices de prononciation ne valident jamais ma réponse.", "Aucun son dans les leçons depuis hier."],
            "en": ["Speech exercises never recognise my voice anymore.", "Pronunciation drills never accept my answer.", "No audio in lessons since yesterday."]}},
 "Volta": {
  "unlock": {"fr": ["Impossible de déverrouiller les voitures avec l'appli, j'ai raté un rendez-vous.", "Le bouton ouvrir ne marche qu'une fois sur trois.", "Bluetooth qui décroche, voiture qui reste fermée."],
             "en": ["Can't unlock cars with the app, missed an appointment.", "Unlock button works one time in three.", "Bluetooth drops and the car stays locked."]},
  "billing": {"fr": ["Facturée pour des minutes alors que la voiture ne démarrait pas.", "Frais de nettoyage abusifs, service client injoignable.", "Prix affiché différent du prix payé."],
              "en": ["Charged for minutes while the car wouldn't start.", "Bogus cleaning fees and support unreachable.", "Price shown differs from what I paid."]}},
 "Pharmalia": {
  "login": {"fr": ["Je dois me reconnecter à chaque ouverture, très pénible.", "Impossible de me connecter, code SMS jamais reçu.", "L'envoi d'ordonnance bloque sur « chargement »."],
            "en": ["Have to log in again every time I open it.", "Can't log in, SMS code never arrives.", "Prescription upload stuck on loading."]}},
 "Croquettes Club": {
  "app": {"fr": ["Impossible de modifier la date de livraison dans l'appli.", "Le suivi de colis n'est jamais à jour.", "On ne peut pas mettre l'abonnement en pause."],
          "en": ["Can't change the delivery date in the app.", "Parcel tracking is never up to date.", "No way to pause the subscription."]}},
}
R_OPEN = {"fr": ["", "Déçue. ", "Franchement nul. ", "Bonne appli mais ", "1 étoile : ", "Dommage, ", "Grosse déception. ", "Je l'adorais mais "],
          "en": ["", "Disappointed. ", "Honestly useless. ", "Good app but ", "1 star: ", "Shame, ", "Big letdown. ", "Used to love it but "]}
R_CLOSE = {"fr": ["", " À corriger vite.", " Je désinstalle.", " Sinon très bien.", " Ça fait une semaine.", " Merci de réparer.", " Remboursez-moi.", " Vraiment pénible au quotidien."],
           "en": ["", " Please fix asap.", " Uninstalling.", " Otherwise great.", " A week now.", " Fix it please.", " Want a refund.", " Really annoying every day."]}
R_EDIT = {"fr": [" EDIT : toujours pareil.", " (toujours le cas)", " Mise à jour : rien n'a changé."],
          "en": [" EDIT: still the same.", " (still happening)", " Update: nothing changed."]}
REVIEWERS = ["petitecarotte", "Jojo_75", "marco.b", "LilouM", "Sam R.", "dev_nico", "AuroreV", "k.smith", "bluefox", "Mélanie", "papi_lulu", "GeorgiaP", "tanguy.r", "nina_k", "Fab", "owen_w"]
