"""Phrasings used by build.py for the second held-out set of the dedupe plugin.

Every topic has, per language, e-mail subjects (`subj`), full sentences stating the
problem (`core`), optional context (`detail`) and terse chat/SMS lines (`short`). Slots
in braces are filled per problem instance, so one person's duplicates share the details
while other people's tickets about the same kind of problem do not.
"""

TOPICS = {
    "energy_bill": {
        "fr": {
            "subj": ["Facture d'électricité anormalement élevée", "Montant de ma facture énergie ({amt})"],
            "core": [
                "Je viens de recevoir ma facture d'électricité de {amt}, c'est presque trois fois plus que d'habitude alors que ma consommation n'a pas changé.",
                "Ma dernière facture d'énergie s'élève à {amt} et je ne comprends pas ce montant : elle semble calculée sur une estimation et pas sur mon vrai relevé de compteur.",
                "Le montant prélevé {day} pour l'électricité ({amt}) est complètement disproportionné, je pense qu'il y a une erreur de relevé.",
            ],
            "detail": [
                "J'ai pris une photo du compteur ce matin, l'index réel est bien plus bas que celui indiqué.",
                "Mon contrat est le {ref}, pour le logement de {city}.",
            ],
            "short": [
                "facture electricite de {amt} c'est une erreur non ? d'habitude je paie 3 fois moins",
                "Bonjour, ma facture énergie est à {amt}, le relevé estimé est faux, vous pouvez corriger ?",
                "slt, {amt} sur la derniere facture d'elec, pas normal du tout",
            ],
        },
        "en": {
            "subj": ["Electricity bill far too high", "Query about my {amt} energy bill"],
            "core": [
                "I've just received an electricity bill for {amt}, roughly three times my usual amount even though my usage hasn't changed.",
                "My latest energy bill comes to {amt} and it looks like it was based on an estimated reading rather than my actual meter reading.",
                "The {amt} you took {day} for electricity can't be right, I think the meter reading is wrong.",
            ],
            "detail": [
                "I took a photo of the meter this morning and the real reading is much lower than the one on the bill.",
                "My account reference is {ref}, for the flat in {city}.",
            ],
            "short": [
                "hi my electricity bill is {amt}?? normally a third of that",
                "Energy bill of {amt} looks wrong, it's an estimated reading. can you fix it",
                "bill way too high ({amt}), pretty sure the meter reading is off",
            ],
        },
    },
    "move_out": {
        "fr": {
            "subj": ["Résiliation suite à déménagement non prise en compte", "Toujours facturé après mon déménagement"],
            "core": [
                "J'ai déménagé {day} et demandé la résiliation de mon contrat {ref}, pourtant je continue d'être prélevé.",
                "Malgré ma demande de résiliation pour déménagement, vous m'avez encore prélevé {amt} ce mois-ci pour l'ancien logement de {city}.",
                "Je n'habite plus à {city} depuis {day} mais le contrat n'a jamais été clôturé et les prélèvements continuent.",
            ],
            "detail": [
                "Le nouvel occupant a normalement ouvert son propre contrat.",
                "J'avais envoyé l'état des lieux de sortie avec ma demande.",
            ],
            "short": [
                "je suis toujours prélevé alors que j'ai déménagé {day}, contrat {ref}",
                "resiliation pas faite apres demenagement, encore {amt} preleve",
                "Bonjour, vous pouvez clôturer mon ancien contrat à {city} ? Je n'y habite plus",
            ],
        },
        "en": {
            "subj": ["Still being charged after moving out", "Contract not closed after my move"],
            "core": [
                "I moved out {day} and asked you to close contract {ref}, but I'm still being charged.",
                "Even though I asked to end my contract when I moved, you took another {amt} this month for the old place in {city}.",
                "I haven't lived in {city} since {day} yet the account was never closed and the direct debits keep coming.",
            ],
            "detail": [
                "The new tenant should have opened their own account.",
                "I sent the move-out inventory with my request.",
            ],
            "short": [
                "still being charged after moving out {day}, contract {ref}",
                "account not closed after my move, another {amt} taken",
                "Hi can you close my old account in {city}? I don't live there anymore",
            ],
        },
    },
    "roaming": {
        "fr": {
            "subj": ["Frais de roaming incompréhensibles", "Hors forfait de {amt} à l'étranger"],
            "core": [
                "Ma facture mobile comporte {amt} de hors forfait pour de l'itinérance alors que j'étais à {dest} dans l'Union européenne.",
                "On me facture {amt} de données à l'étranger pour mon séjour à {dest}, mon forfait est pourtant censé inclure l'Europe.",
                "Je conteste les frais d'itinérance de {amt} apparus après mon voyage à {dest}.",
            ],
            "detail": [
                "Je n'ai reçu aucun SMS d'alerte de consommation pendant le séjour.",
                "Mon forfait est le {plan}.",
            ],
            "short": [
                "{amt} de hors forfait roaming apres {dest} ?? c'est inclus normalement",
                "bonjour frais d'itinérance de {amt} sur ma facture, je conteste",
                "pourquoi {amt} de data à l'etranger, j'etais a {dest}",
            ],
        },
        "en": {
            "subj": ["Unexpected roaming charges", "Roaming charge of {amt}"],
            "core": [
                "My phone bill has {amt} of roaming charges from my trip to {dest}, which I thought was covered by my plan.",
                "You've charged me {amt} for data abroad while I was in {dest}, but my plan is supposed to include Europe.",
                "I'd like to dispute the {amt} roaming charge that appeared after my stay in {dest}.",
            ],
            "detail": [
                "I never got a usage warning text while I was away.",
                "I'm on the {plan}.",
            ],
            "short": [
                "{amt} roaming charge after {dest}?? thought it was included",
                "hi, disputing a {amt} roaming fee on my bill",
                "why was I charged {amt} for data abroad, I was in {dest}",
            ],
        },
    },
    "sim_activation": {
        "fr": {
            "subj": ["Carte SIM toujours pas activée", "eSIM sans réseau depuis la souscription"],
            "core": [
                "J'ai reçu ma nouvelle carte SIM {day} mais elle n'est toujours pas activée, je n'ai aucun réseau.",
                "Mon eSIM est installée sur le téléphone mais elle reste sur « Aucun service » depuis la souscription au {plan}.",
                "Depuis la portabilité de mon numéro, la nouvelle SIM ne capte rien et l'ancienne est coupée : je suis injoignable.",
            ],
            "detail": [
                "J'ai déjà redémarré le téléphone plusieurs fois.",
                "Le numéro de commande est {ref}.",
            ],
            "short": [
                "sim toujours pas activee, pas de reseau depuis {day}",
                "mon esim affiche aucun service, vous pouvez l'activer ?",
                "Bonjour, nouvelle carte SIM reçue mais aucun réseau, je suis injoignable",
            ],
        },
        "en": {
            "subj": ["SIM card still not activated", "No signal on my new eSIM"],
            "core": [
                "My new SIM card arrived {day} but it still isn't activated and I have no signal at all.",
                "The eSIM is installed on my phone but it just says 'No service' since I signed up to the {plan}.",
                "Since porting my number the new SIM doesn't work and the old one has been cut off, so nobody can reach me.",
            ],
            "detail": [
                "I've restarted the phone several times already.",
                "The order reference is {ref}.",
            ],
            "short": [
                "sim still not active, no signal since {day}",
                "my esim says no service, can you activate it?",
                "Hi, new SIM arrived but no network at all, can't make calls",
            ],
        },
    },
    "car_claim": {
        "fr": {
            "subj": ["Sinistre auto : aucune nouvelle", "Déclaration d'accident du {day}"],
            "core": [
                "J'ai déclaré un accrochage {day} à {city} et depuis je n'ai aucune nouvelle de l'expert, ma voiture est immobilisée.",
                "Mon dossier de sinistre automobile {ref} n'avance pas : personne n'est venu expertiser le véhicule.",
                "Suite à l'accident {day}, j'attends toujours l'accord pour les réparations au garage de {city}.",
            ],
            "detail": [
                "Le constat amiable a été signé par les deux parties et envoyé le jour même.",
                "Je n'ai pas de véhicule de prêt et j'en ai besoin pour travailler.",
            ],
            "short": [
                "toujours pas d'expert pour ma voiture depuis l'accrochage {day}",
                "sinistre {ref} au point mort, le garage attend votre accord",
                "Bonjour, où en est mon dossier accident ? voiture immobilisée",
            ],
        },
        "en": {
            "subj": ["Car insurance claim - no news", "Accident claim {ref}"],
            "core": [
                "I reported a minor collision {day} in {city} and I still haven't heard from the assessor; the car is off the road.",
                "My motor claim {ref} isn't moving: nobody has come to inspect the vehicle.",
                "After the accident {day} I'm still waiting for you to approve the repairs at the garage in {city}.",
            ],
            "detail": [
                "Both drivers signed the accident report and I sent it the same day.",
                "I don't have a courtesy car and I need one for work.",
            ],
            "short": [
                "still no assessor for my car since the accident {day}",
                "claim {ref} stuck, garage is waiting for your approval",
                "Hi, any progress on my accident claim? car can't be driven",
            ],
        },
    },
    "insurance_cert": {
        "fr": {
            "subj": ["Besoin urgent d'une attestation d'assurance", "Attestation introuvable dans l'espace client"],
            "core": [
                "J'ai besoin de mon attestation d'assurance habitation pour mon nouveau bail à {city} et elle n'apparaît pas dans mon espace client.",
                "Pouvez-vous m'envoyer l'attestation d'assurance du contrat {ref} ? L'agence immobilière la réclame avant la remise des clés.",
                "Le lien pour télécharger mon attestation renvoie une erreur, et la propriétaire l'exige pour {day}.",
            ],
            "detail": [
                "Une version PDF par e-mail me suffit.",
                "La remise des clés est prévue en fin de semaine.",
            ],
            "short": [
                "il me faut l'attestation d'assurance pour le bail, introuvable dans l'appli",
                "pouvez vous m'envoyer mon attestation contrat {ref} svp urgent",
                "attestation habitation impossible a telecharger, erreur",
            ],
        },
        "en": {
            "subj": ["Urgent: proof of insurance needed", "Can't find my insurance certificate"],
            "core": [
                "I need my home insurance certificate for a new lease in {city} and it isn't showing in my account.",
                "Could you send me the certificate for policy {ref}? The letting agent wants it before handing over the keys.",
                "The link to download my certificate gives an error and the landlord needs it by {day}.",
            ],
            "detail": [
                "A PDF by e-mail is fine.",
                "The key handover is at the end of the week.",
            ],
            "short": [
                "need my insurance certificate for the lease, can't find it in the app",
                "can you email me the certificate for policy {ref} pls, urgent",
                "certificate download link gives an error",
            ],
        },
    },
    "return_refund": {
        "fr": {
            "subj": ["Remboursement non reçu après retour", "Retour colis {ref} - toujours pas remboursé"],
            "core": [
                "J'ai renvoyé {item} {day} (commande {ref}) et je n'ai toujours pas été remboursé des {amt}.",
                "Le retour de ma commande {ref} a bien été livré à votre entrepôt selon le suivi, mais le remboursement de {amt} n'arrive pas.",
                "Cela fait plus de deux semaines que {item} vous a été retourné et je n'ai reçu aucun remboursement.",
            ],
            "detail": [
                "J'ai gardé le bordereau de dépôt du point relais.",
                "Le paiement avait été fait par carte bancaire.",
            ],
            "short": [
                "remboursement pas recu pour mon retour {ref}",
                "bonjour j'attends toujours les {amt} du retour, c'est long",
                "retour livré chez vous depuis longtemps mais toujours pas remboursé",
            ],
        },
        "en": {
            "subj": ["Refund not received after return", "Return for order {ref} - no refund yet"],
            "core": [
                "I sent back {item} {day} (order {ref}) and I still haven't been refunded the {amt}.",
                "Tracking shows my return for order {ref} was delivered to your warehouse, but the {amt} refund hasn't arrived.",
                "It's been over two weeks since {item} went back to you and I haven't had any refund.",
            ],
            "detail": [
                "I kept the drop-off receipt from the parcel shop.",
                "I paid by card.",
            ],
            "short": [
                "refund still not received for return {ref}",
                "hi still waiting for the {amt} from my return",
                "return delivered to you ages ago, no refund yet",
            ],
        },
    },
    "wrong_item": {
        "fr": {
            "subj": ["Mauvais article reçu", "Erreur dans ma commande {ref}"],
            "core": [
                "J'ai commandé {item} en taille M et j'ai reçu du XXL, ce n'est pas du tout ce que j'avais choisi.",
                "Le colis de la commande {ref} contient un article qui n'est pas le mien : à la place de {item} j'ai reçu autre chose.",
                "Erreur de préparation sur ma commande {ref}, l'article reçu ne correspond pas à la facture.",
            ],
            "detail": [
                "Je peux envoyer des photos de l'étiquette.",
                "C'était un cadeau pour ce week-end, je suis assez ennuyé.",
            ],
            "short": [
                "recu le mauvais article, commande {ref}",
                "j'ai pas reçu {item} mais autre chose, vous pouvez échanger ?",
                "erreur de taille sur ma commande, XXL au lieu de M",
            ],
        },
        "en": {
            "subj": ["Wrong item received", "Mistake in order {ref}"],
            "core": [
                "I ordered {item} in size M and received an XXL, which is not what I picked.",
                "The parcel for order {ref} has somebody else's item in it: instead of {item} I got something else.",
                "There's been a picking error on order {ref}, the item I received doesn't match the invoice.",
            ],
            "detail": [
                "I can send photos of the label.",
                "It was a present for this weekend so I'm a bit stuck.",
            ],
            "short": [
                "got the wrong item, order {ref}",
                "didn't get {item}, got something else instead. can you swap it?",
                "wrong size in my order, XXL instead of M",
            ],
        },
    },
    "stream_double": {
        "fr": {
            "subj": ["Abonnement streaming débité deux fois", "Double prélèvement abonnement"],
            "core": [
                "Mon abonnement de streaming m'a été débité deux fois ce mois-ci, {amt} à chaque fois, {day}.",
                "Je vois deux prélèvements identiques de {amt} pour le même abonnement vidéo sur mon relevé bancaire.",
                "Vous m'avez facturé l'abonnement en double (2 x {amt}), merci de rembourser le second paiement.",
            ],
            "detail": [
                "Je n'ai qu'un seul compte, avec l'adresse de ce message.",
                "La carte utilisée se termine par {last4}.",
            ],
            "short": [
                "debite 2 fois pour l'abonnement ce mois ci ({amt})",
                "double prélèvement de {amt} pour le streaming, remboursez svp",
                "pourquoi 2 paiements de {amt} pour le même abonnement ?",
            ],
        },
        "en": {
            "subj": ["Charged twice for my subscription", "Duplicate subscription payment"],
            "core": [
                "My streaming subscription was charged twice this month, {amt} each time, {day}.",
                "I can see two identical payments of {amt} for the same video subscription on my bank statement.",
                "You've billed me twice for the subscription (2 x {amt}), please refund the second payment.",
            ],
            "detail": [
                "I only have one account, under this address.",
                "The card used ends in {last4}.",
            ],
            "short": [
                "charged twice for my subscription this month ({amt})",
                "double charge of {amt} for streaming, pls refund",
                "why are there 2 payments of {amt} for one subscription?",
            ],
        },
    },
    "stream_cancel": {
        "fr": {
            "subj": ["Toujours prélevé après résiliation", "Résiliation abonnement ignorée"],
            "core": [
                "J'ai résilié mon abonnement {day} mais vous m'avez encore prélevé {amt} ce mois-ci.",
                "Malgré la confirmation de résiliation reçue par e-mail, l'abonnement continue d'être facturé.",
                "Je ne suis plus abonné depuis {day} et un nouveau paiement de {amt} est passé sur ma carte.",
            ],
            "detail": [
                "J'ai gardé le mail de confirmation de résiliation.",
                "La carte se termine par {last4}.",
            ],
            "short": [
                "resilie {day} mais encore preleve {amt}",
                "j'ai annulé mon abonnement et vous continuez à me facturer",
                "encore {amt} débité alors que je suis plus abonné ??",
            ],
        },
        "en": {
            "subj": ["Still charged after cancelling", "Cancelled subscription still billed"],
            "core": [
                "I cancelled my subscription {day} but you still took {amt} this month.",
                "Even though I got an e-mail confirming the cancellation, the subscription is still being billed.",
                "I'm no longer a subscriber since {day} and another {amt} payment went through on my card.",
            ],
            "detail": [
                "I still have the cancellation confirmation e-mail.",
                "The card ends in {last4}.",
            ],
            "short": [
                "cancelled {day} but still charged {amt}",
                "I cancelled my plan and you keep billing me",
                "another {amt} taken even though I unsubscribed??",
            ],
        },
    },
    "card_blocked": {
        "fr": {
            "subj": ["Carte bancaire bloquée", "Paiements refusés avec ma carte"],
            "core": [
                "Ma carte bancaire se termine par {last4} et elle est refusée partout depuis ce matin, je suis à {dest} sans autre moyen de paiement.",
                "Tous mes paiements par carte sont rejetés depuis {day}, pourtant le solde du compte est largement positif.",
                "Ma carte a été bloquée sans prévenir, le distributeur l'a refusée et je ne peux plus rien payer.",
            ],
            "detail": [
                "Je n'ai reçu aucune alerte de fraude.",
                "J'ai bien activé les paiements à l'étranger dans l'application.",
            ],
            "short": [
                "carte refusée partout, je suis à {dest}, aidez moi",
                "ma carte finissant par {last4} est bloquée ??",
                "cb refusee depuis ce matin alors que j'ai de l'argent sur le compte",
            ],
        },
        "en": {
            "subj": ["Card blocked", "My card keeps getting declined"],
            "core": [
                "My card ending {last4} has been declined everywhere since this morning and I'm in {dest} with no other way to pay.",
                "All my card payments have been rejected since {day}, although there's plenty of money in the account.",
                "My card was blocked without warning, the cash machine refused it and I can't pay for anything.",
            ],
            "detail": [
                "I haven't received any fraud alert.",
                "I did switch on payments abroad in the app.",
            ],
            "short": [
                "card declined everywhere, I'm in {dest}, please help",
                "is my card ending {last4} blocked??",
                "card refused since this morning but there's money in the account",
            ],
        },
    },
    "transfer_pending": {
        "fr": {
            "subj": ["Virement non arrivé", "Virement de {amt} bloqué"],
            "core": [
                "J'ai fait un virement de {amt} {day} et le bénéficiaire ne l'a toujours pas reçu.",
                "Mon virement de {amt} apparaît « en attente » depuis plusieurs jours dans l'application, il devait être instantané.",
                "Le virement émis {day} a été débité de mon compte mais n'est jamais arrivé sur le compte destinataire.",
            ],
            "detail": [
                "C'est pour payer mon loyer, le propriétaire s'impatiente.",
                "La référence de l'opération est {ref}.",
            ],
            "short": [
                "virement de {amt} toujours en attente depuis {day}",
                "mon virement est debité mais pas arrivé chez le destinataire",
                "Bonjour, virement instantané bloqué, vous pouvez regarder ?",
            ],
        },
        "en": {
            "subj": ["Transfer hasn't arrived", "Transfer of {amt} stuck"],
            "core": [
                "I made a transfer of {amt} {day} and the recipient still hasn't received it.",
                "My {amt} transfer has been showing as pending in the app for days, it was meant to be instant.",
                "The transfer I sent {day} left my account but never reached the recipient.",
            ],
            "detail": [
                "It's my rent, so the landlord is getting impatient.",
                "The transaction reference is {ref}.",
            ],
            "short": [
                "transfer of {amt} still pending since {day}",
                "money left my account but the transfer never arrived",
                "Hi, instant transfer stuck, can you check?",
            ],
        },
    },
    "travel_change": {
        "fr": {
            "subj": ["Modification de ma réservation", "Changement de date vol pour {dest}"],
            "core": [
                "Je voudrais décaler mon voyage pour {dest} de deux jours, mais le site affiche une erreur à chaque tentative de modification (dossier {ref}).",
                "Impossible de changer la date de mon billet pour {dest} en ligne, pouvez-vous le faire pour moi ?",
                "Ma réservation {ref} pour {dest} doit être modifiée suite à un imprévu, et le bouton « modifier » ne fonctionne pas.",
            ],
            "detail": [
                "Je suis prêt à payer la différence de tarif.",
                "Nous voyageons à deux adultes.",
            ],
            "short": [
                "je dois changer la date de mon vol pour {dest}, le site bug",
                "reservation {ref} : modif impossible en ligne",
                "vous pouvez décaler mon billet pour {dest} de 2 jours ?",
            ],
        },
        "en": {
            "subj": ["Change to my booking", "Changing my flight date to {dest}"],
            "core": [
                "I'd like to move my trip to {dest} by two days, but the website shows an error every time I try (booking {ref}).",
                "I can't change the date of my ticket to {dest} online, could you do it for me?",
                "Booking {ref} to {dest} needs changing because of something unexpected, and the 'change' button doesn't work.",
            ],
            "detail": [
                "I'm happy to pay the fare difference.",
                "There are two adults on the booking.",
            ],
            "short": [
                "need to change my flight date to {dest}, website errors",
                "booking {ref}: can't amend it online",
                "can you move my ticket to {dest} by 2 days?",
            ],
        },
    },
    "hotel_cancel": {
        "fr": {
            "subj": ["Remboursement annulation hôtel", "Annulation gratuite non remboursée"],
            "core": [
                "J'ai annulé ma réservation d'hôtel à {dest} dans le délai d'annulation gratuite, mais les {amt} ne m'ont pas été remboursés.",
                "L'hôtel de {dest} confirme l'annulation de ma réservation {ref}, pourtant vous avez gardé l'acompte de {amt}.",
                "Annulation faite {day}, conditions gratuites, et toujours aucun remboursement sur ma carte.",
            ],
            "detail": [
                "J'ai la capture d'écran des conditions au moment de la réservation.",
                "Le séjour était prévu pour trois nuits.",
            ],
            "short": [
                "hotel annulé à temps mais pas remboursé ({amt})",
                "réservation {ref} annulée, où est mon remboursement ?",
                "annulation gratuite {day} et toujours rien sur ma carte",
            ],
        },
        "en": {
            "subj": ["Hotel cancellation refund", "Free cancellation not refunded"],
            "core": [
                "I cancelled my hotel in {dest} within the free cancellation period, but the {amt} hasn't been refunded.",
                "The hotel in {dest} confirms booking {ref} is cancelled, yet you've kept the {amt} deposit.",
                "I cancelled {day} under free cancellation terms and there's still no refund on my card.",
            ],
            "detail": [
                "I have a screenshot of the terms at the time of booking.",
                "It was a three-night stay.",
            ],
            "short": [
                "cancelled the hotel in time but no refund ({amt})",
                "booking {ref} cancelled, where is my refund?",
                "free cancellation {day} and still nothing back on my card",
            ],
        },
    },
    "locker_code": {
        "fr": {
            "subj": ["Code consigne ne fonctionne pas", "Colis bloqué dans la consigne de {city}"],
            "core": [
                "Le code reçu par SMS pour retirer mon colis à la consigne de {city} est refusé par la machine.",
                "Mon colis est dans la consigne automatique depuis {day} mais l'écran indique « code invalide » à chaque essai.",
                "Impossible d'ouvrir le casier de la consigne, le code de retrait ne marche pas et le colis va repartir.",
            ],
            "detail": [
                "Le numéro de suivi est {ref}.",
                "J'y suis allé deux fois, à des heures différentes.",
            ],
            "short": [
                "le code de la consigne marche pas, colis bloqué",
                "code invalide a la consigne de {city}, je fais comment ?",
                "consigne refuse mon code de retrait depuis {day}",
            ],
        },
        "en": {
            "subj": ["Locker code not working", "Parcel stuck in the locker at {city}"],
            "core": [
                "The code I got by text to collect my parcel from the locker at {city} is rejected by the machine.",
                "My parcel has been in the locker since {day} but the screen says 'invalid code' every time.",
                "I can't open the locker, the collection code doesn't work and the parcel will be sent back.",
            ],
            "detail": [
                "The tracking number is {ref}.",
                "I've been twice at different times.",
            ],
            "short": [
                "locker code doesn't work, parcel stuck",
                "invalid code at the {city} locker, what do I do?",
                "locker keeps rejecting my pickup code since {day}",
            ],
        },
    },
    "parcel_damaged": {
        "fr": {
            "subj": ["Colis arrivé endommagé", "Article cassé à la livraison"],
            "core": [
                "Mon colis est arrivé {day} avec le carton éventré et {item} à l'intérieur est abîmé.",
                "{item} de la commande {ref} est arrivé cassé, l'emballage était visiblement écrasé.",
                "Livraison reçue en très mauvais état : {item} est inutilisable.",
            ],
            "detail": [
                "J'ai fait des photos devant le livreur.",
                "J'aimerais un remplacement plutôt qu'un remboursement.",
            ],
            "short": [
                "colis arrivé abimé, {item} cassé",
                "commande {ref} recue cassée, je fais quoi ?",
                "carton écrasé et article inutilisable, photos dispo",
            ],
        },
        "en": {
            "subj": ["Parcel arrived damaged", "Item broken on delivery"],
            "core": [
                "My parcel arrived {day} with the box torn open and {item} inside is damaged.",
                "{item} from order {ref} arrived broken, the packaging had clearly been crushed.",
                "The delivery came in a terrible state: {item} is unusable.",
            ],
            "detail": [
                "I took photos in front of the courier.",
                "I'd rather have a replacement than a refund.",
            ],
            "short": [
                "parcel arrived damaged, {item} broken",
                "order {ref} arrived broken, what now?",
                "box crushed and item unusable, have photos",
            ],
        },
    },
    "login_sms": {
        "fr": {
            "subj": ["Impossible de me connecter", "Code de vérification jamais reçu"],
            "core": [
                "Je n'arrive plus à me connecter à mon compte : le code de vérification par SMS n'arrive jamais.",
                "Depuis {day}, chaque tentative de connexion se termine par « code expiré » alors que je n'ai reçu aucun SMS.",
                "Mon compte est bloqué après trois essais, et la réinitialisation du mot de passe ne m'envoie rien.",
            ],
            "detail": [
                "J'ai essayé depuis le téléphone et depuis l'ordinateur.",
                "Mon numéro n'a pas changé.",
            ],
            "short": [
                "code sms jamais recu, impossible de me connecter",
                "compte bloqué apres 3 essais, aidez moi",
                "je reçois pas le code de vérif depuis {day}",
            ],
        },
        "en": {
            "subj": ["Can't log in", "Verification code never arrives"],
            "core": [
                "I can't log in to my account any more: the text verification code never arrives.",
                "Since {day}, every login attempt ends with 'code expired' although I never got a text.",
                "My account got locked after three attempts and the password reset doesn't send me anything.",
            ],
            "detail": [
                "I've tried from my phone and from my laptop.",
                "My number hasn't changed.",
            ],
            "short": [
                "never get the sms code, can't log in",
                "account locked after 3 tries, help",
                "not receiving the verification code since {day}",
            ],
        },
    },
    "internet_outage": {
        "fr": {
            "subj": ["Plus d'internet depuis {day}", "Box internet en panne"],
            "core": [
                "Ma box internet ne synchronise plus depuis {day}, le voyant reste rouge et je télétravaille.",
                "Coupure totale d'internet et de téléphone fixe à la maison à {city} depuis plusieurs jours.",
                "La connexion fibre tombe toutes les dix minutes depuis {day}, impossible de travailler.",
            ],
            "detail": [
                "J'ai déjà redémarré la box et vérifié les câbles.",
                "Mes voisins n'ont pas de problème.",
            ],
            "short": [
                "plus d'internet depuis {day}, voyant rouge sur la box",
                "fibre coupée à {city}, c'est une panne ?",
                "connexion qui saute toutes les 10 min, je teletravaille",
            ],
        },
        "en": {
            "subj": ["No internet since {day}", "Broadband down"],
            "core": [
                "My router hasn't synced since {day}, the light stays red and I work from home.",
                "Internet and landline have been completely down at home in {city} for several days.",
                "The fibre connection has been dropping every ten minutes since {day}, I can't work.",
            ],
            "detail": [
                "I've already restarted the router and checked the cables.",
                "My neighbours are fine.",
            ],
            "short": [
                "no internet since {day}, red light on the router",
                "fibre down in {city}, is there an outage?",
                "connection drops every 10 min, working from home",
            ],
        },
    },
    "loyalty_points": {
        "fr": {
            "subj": ["Points de fidélité manquants", "Mes points n'ont pas été crédités"],
            "core": [
                "Les points de fidélité de mon achat du {day} n'ont jamais été crédités sur ma carte.",
                "Mon solde de points a été remis à zéro sans explication alors que j'avais presque de quoi avoir un bon d'achat.",
                "Il manque les points de mes deux derniers achats en magasin à {city}.",
            ],
            "detail": [
                "J'ai gardé les tickets de caisse.",
                "Ma carte fidélité est la {ref}.",
            ],
            "short": [
                "points fidelite pas credités pour l'achat du {day}",
                "mon solde de points est à zéro ??",
                "il manque des points sur ma carte fidélité",
            ],
        },
        "en": {
            "subj": ["Missing loyalty points", "Points not credited"],
            "core": [
                "The loyalty points from my purchase {day} were never added to my card.",
                "My points balance was reset to zero for no reason, and I nearly had enough for a voucher.",
                "The points from my last two in-store purchases in {city} are missing.",
            ],
            "detail": [
                "I kept the receipts.",
                "My loyalty card is {ref}.",
            ],
            "short": [
                "loyalty points not added for my purchase {day}",
                "my points balance is zero??",
                "points missing on my loyalty card",
            ],
        },
    },
    "address_change": {
        "fr": {
            "subj": ["Changement d'adresse", "Mise à jour de mes coordonnées"],
            "core": [
                "Je voudrais mettre à jour mon adresse postale, je viens d'emménager à {city} et le formulaire en ligne ne l'accepte pas.",
                "Pouvez-vous modifier l'adresse de facturation de mon compte ? J'habite désormais à {city}.",
                "Le changement d'adresse que j'ai saisi {day} n'a pas été pris en compte, les courriers partent toujours à l'ancienne.",
            ],
            "detail": [
                "Je peux fournir un justificatif de domicile.",
                "Le numéro client est {ref}.",
            ],
            "short": [
                "je veux changer mon adresse, le formulaire bug",
                "nouvelle adresse à {city}, vous pouvez mettre à jour ?",
                "changement d'adresse pas pris en compte",
            ],
        },
        "en": {
            "subj": ["Change of address", "Updating my details"],
            "core": [
                "I'd like to update my postal address, I've just moved to {city} and the online form won't accept it.",
                "Could you change the billing address on my account? I now live in {city}.",
                "The address change I entered {day} hasn't been applied and letters still go to the old one.",
            ],
            "detail": [
                "I can send proof of address.",
                "My customer number is {ref}.",
            ],
            "short": [
                "want to change my address, form is broken",
                "new address in {city}, can you update it?",
                "address change not applied",
            ],
        },
    },
}

GREET = {
    "fr": ["Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,", "Madame, Monsieur,", "Bonjour à vous,"],
    "en": ["Hello,", "Hi there,", "Dear Sir or Madam,", "Hi,", "Good morning,"],
}
ASK = {
    "fr": ["Pouvez-vous vérifier et me recontacter ?", "Merci de me dire ce que je dois faire.",
           "J'attends votre retour rapidement.", "Merci de régulariser la situation.", "Je reste disponible par téléphone."],
    "en": ["Could you look into it and get back to me?", "Please let me know what to do.",
           "I'd appreciate a quick reply.", "Please sort this out.", "I'm available by phone if needed."],
}
SIGN = {
    "fr": ["Cordialement,\n{name}", "Bien à vous,\n{first}", "Merci d'avance,\n{first}", "--\n{name}\n{tel}",
           "Cordialement\n{name}\n\nEnvoyé de mon iPhone", "{first}\n\nEnvoyé depuis mon mobile", "Bonne journée,\n{name}"],
    "en": ["Kind regards,\n{name}", "Thanks,\n{first}", "Best,\n{first}", "--\n{name}\n{tel}",
           "Regards\n{name}\n\nSent from my iPhone", "{first}\n\nSent from Outlook for Android", "Many thanks,\n{name}"],
}
# Opening lines of a re-sent or escalated message about the same problem.
AGAIN = {
    "fr": ["Je me permets de vous relancer.", "Deuxième message, toujours sans réponse.",
           "Je vous ai déjà écrit par mail mais je tente ici.", "Re-bonjour,", "Je renvoie ma demande, pas d'accusé de réception.",
           "Toujours rien depuis mon dernier message.", "Je reviens vers vous car rien n'a bougé."],
    "en": ["Following up on my previous message.", "Sending this again as I haven't heard back.",
           "I already emailed about this but trying here too.", "Hi again,", "Resending my request, no acknowledgement received.",
           "Still nothing since my last message.", "Chasing this up as nothing has changed."],
}
AGAIN_SHORT = {
    "fr": ["relance :", "toujours rien...", "j'ai deja envoyé un mail,", "re,", "2e message,", "svp"],
    "en": ["chasing:", "still nothing...", "already emailed,", "hi again,", "2nd message,", "pls"],
}

# Follow-ups that cite the ticket number customers see. `{n}` is the number, `{short}` a
# one-line restatement of the problem or nothing.
NUM_FOLLOW = {
    "fr": [
        "Bonjour, je reviens vers vous concernant le dossier {n}. Toujours aucune nouvelle de votre côté, pouvez-vous me dire où ça en est ?",
        "Suite à ma demande n°{n}, je n'ai toujours rien reçu. {short}",
        "Re-bonjour, ticket {n} : c'est toujours pareil, rien n'a bougé.",
        "Concernant votre référence {n} : je vous envoie le justificatif demandé.",
        "ref. {n} - des nouvelles ?",
        "Bonjour, demande n° {n}, j'en profite pour vous signaler que mon numéro de téléphone a changé.",
        "ticket #{n} toujours pas traité ?? {short}",
        "[Ticket#{n}] Je complète ma demande : {short}",
    ],
    "en": [
        "Hi, following up on ticket {n}: I still haven't heard anything. Any update?",
        "Re ticket #{n} - still the same problem, nothing has changed. {short}",
        "Regarding ref. {n}, please find the document you asked for.",
        "any news on [Ticket#{n}]?",
        "Hello, about ticket {n}, could you also note that my phone number has changed?",
        "Re: [#{n}] still waiting. {short}",
    ],
}
NUM_FOLLOW_SUBJ = {
    "fr": ["Re: [#{n}] {subj}", "[Ticket#{n}] relance", "Dossier {n}", "Re: [#{n}] {subj}"],
    "en": ["Re: [#{n}] {subj}", "[Ticket#{n}] follow-up", "Ticket {n}"],
}
# Somebody else cites a person's ticket number.
OTHER_CITES = {
    "fr": [
        "Bonjour, j'écris pour ma mère, son dossier {n} n'avance pas. Pouvez-vous la rappeler ?",
        "Je suis le conjoint de la personne qui a ouvert la demande n°{n}, nous avons aussi ce souci : {short}",
        "Mon voisin m'a donné sa référence {n}, j'ai exactement le même problème que lui. {short}",
        "Bonjour, ma collègue a ouvert le ticket {n} et je rencontre la même chose. {short}",
    ],
    "en": [
        "Hi, I'm writing on behalf of my father, ticket {n} is still open and he can't get through on the phone.",
        "My colleague opened ticket #{n} about this and I have the same issue: {short}",
        "My flatmate has ref. {n} for this, same problem on my side. {short}",
    ],
}
# Order and invoice numbers that happen to look like ticket numbers.
ORDER_CITES = {
    "fr": [
        "Bonjour, ma commande {n} n'est toujours pas arrivée, le suivi est bloqué depuis quatre jours.",
        "Je souhaite une copie de la facture {n}, je ne la trouve pas dans mon espace client.",
        "La facture {n} comporte une erreur sur l'adresse de livraison, pouvez-vous la corriger ?",
        "commande {n} : il manque un article dans le colis",
    ],
    "en": [
        "Hi, order #{n} still hasn't shipped, can you check?",
        "Could you resend invoice {n}? It's not in my account.",
        "order #{n} arrived with one item missing",
        "facture {n} - I need a corrected copy with my company name please",
    ],
}
# Citations of numbers no ticket carries.
UNKNOWN_CITES = {
    "fr": [
        "Bonjour, suite à ma demande n°{n} de la semaine dernière : {short}",
        "On m'a donné le numéro de dossier {n} au téléphone, mais je n'ai jamais eu de suite. {short}",
        "ticket {n} - {short}",
    ],
    "en": [
        "I was given ticket number {n} on the phone but never heard back. {short}",
        "Re ticket #{n}: {short}",
        "Hello, my reference is {n}. {short}",
    ],
}

# Store reviews: per topic, several independent ways of saying it, so that different
# reviewers never write nearly the same text.
REVIEW = {
    "crash": {
        "fr": ["L'appli plante dès l'ouverture depuis la dernière mise à jour.",
               "Impossible de lancer l'application : écran blanc puis retour à l'accueil du téléphone.",
               "Elle se ferme toute seule au bout de deux secondes, inutilisable sur mon {phone}.",
               "Crash systématique au démarrage, j'ai réinstallé trois fois sans effet."],
        "en": ["App crashes as soon as I open it since the last update.",
               "Won't even launch: white screen, then I'm back on the home screen.",
               "Shuts itself down after a couple of seconds, useless on my {phone}.",
               "Crashes on startup every single time, reinstalled three times and nothing changes."],
    },
    "login": {
        "fr": ["Je suis déconnecté chaque fois que je quitte l'appli, il faut tout ressaisir.",
               "Le code SMS de vérification n'arrive jamais, donc pas moyen d'entrer dans mon compte.",
               "Boucle infinie sur la page de connexion, la roue tourne sans fin.",
               "Mot de passe refusé dans l'application alors qu'il marche sur le site web."],
        "en": ["It logs me out every time I leave the app and I have to type everything again.",
               "The verification text never arrives so I can't get into my account.",
               "Endless loop on the sign-in page, the spinner never stops.",
               "Password rejected in the app even though it works on the website."],
    },
    "payment": {
        "fr": ["Le paiement échoue à chaque fois dans l'appli alors que ma carte fonctionne partout ailleurs.",
               "Impossible de valider le panier, « erreur technique » au moment de payer.",
               "Débité deux fois pour une seule commande passée depuis l'application !",
               "Apple Pay ne passe plus depuis octobre, obligé de sortir la carte."],
        "en": ["Payment fails every time in the app while my card works everywhere else.",
               "Can't check out, 'technical error' right when I try to pay.",
               "Charged twice for one order placed through the app!",
               "Apple Pay stopped working in October, I have to dig out my card."],
    },
    "notif": {
        "fr": ["Je ne reçois plus aucune notification, même activées dans les réglages.",
               "Les alertes de livraison arrivent avec une journée de retard, ça ne sert à rien.",
               "Chaque message déclenche deux ou trois notifications identiques, insupportable.",
               "Plus de push depuis la mise à jour, j'ai raté ma livraison à cause de ça."],
        "en": ["I don't get any notifications any more, even with them switched on in settings.",
               "Delivery alerts turn up a day late, which makes them pointless.",
               "Every message fires two or three identical notifications, maddening.",
               "No push alerts since the update, I missed my delivery because of it."],
    },
    "slow": {
        "fr": ["Tellement lente que j'abandonne avant que la page se charge.",
               "Elle vide ma batterie en une heure, même en arrière-plan.",
               "Chaque écran met dix secondes à s'afficher sur mon {phone}.",
               "Ça rame énormément depuis la nouvelle version, même en wifi."],
        "en": ["So slow I give up before the page loads.",
               "Drains my battery in an hour, even in the background.",
               "Every screen takes ten seconds to show up on my {phone}.",
               "Really sluggish since the new version, even on wifi."],
    },
    "pdf": {
        "fr": ["Impossible de télécharger mes factures en PDF, le bouton ne réagit pas.",
               "Le relevé s'ouvre sur une page blanche quand je veux le consulter.",
               "Les documents du mois dernier ont disparu de l'historique.",
               "Le téléchargement de l'attestation tourne en boucle puis échoue."],
        "en": ["Can't download my invoices as PDF, the button does nothing.",
               "Statements open as a blank page whenever I try to view them.",
               "Last month's documents have vanished from the history.",
               "Downloading the certificate spins forever and then fails."],
    },
    "qr": {
        "fr": ["Le QR code de mon billet ne s'affiche pas au moment de monter dans le train.",
               "Billet introuvable dans l'appli alors que j'ai reçu la confirmation par mail.",
               "Le contrôleur n'a pas pu scanner mon e-billet, écran figé.",
               "Mes réservations disparaissent de l'onglet voyages la veille du départ."],
        "en": ["The QR code on my ticket won't show when I'm boarding the train.",
               "Ticket missing from the app although I got the confirmation e-mail.",
               "The inspector couldn't scan my e-ticket, screen froze.",
               "My bookings vanish from the trips tab the day before departure."],
    },
    "redesign": {
        "fr": ["La nouvelle interface est illisible, on ne trouve plus rien.",
               "Le mode sombre a disparu avec la mise à jour, ça m'abîme les yeux le soir.",
               "Trois clics de plus pour faire un simple virement, quel recul.",
               "Les textes sont minuscules et le zoom ne marche plus."],
        "en": ["The new layout is unreadable, can't find anything any more.",
               "Dark mode disappeared with the update, hurts my eyes at night.",
               "Three extra taps to do a simple transfer, what a step backwards.",
               "Text is tiny now and pinch to zoom no longer works."],
    },
}
REVIEW_OPEN = {
    "fr": ["Très déçu.", "Franchement nul.", "Ça marchait bien avant.", "Une étoile parce que zéro n'est pas possible.",
           "Dommage,", "Sérieusement ?", "Appli pratique au quotidien mais", "Gros souci :", ""],
    "en": ["Very disappointed.", "Honestly useless.", "Used to work fine.", "One star because zero isn't an option.",
           "Shame,", "Seriously?", "Handy app day to day but", "Big problem:", ""],
}
REVIEW_CLOSE = {
    "fr": ["Corrigez ça vite svp.", "Je désinstalle.", "Et le service client ne répond pas.", "Je vais aller voir ailleurs.",
           "Merci de régler le problème.", "À revoir.", ""],
    "en": ["Please fix this asap.", "Uninstalling.", "And customer support never answers.", "Moving to a competitor.",
           "Please sort it out.", "Needs work.", ""],
}
REVIEW_EDIT = {
    "fr": ["EDIT : toujours pareil.", "Toujours le cas aujourd'hui.", "!!!", "MAJ : rien de changé."],
    "en": ["EDIT: still the same.", "Still happening today.", "!!!", "Update: nothing changed."],
}
GOOD_REVIEWS = {
    "fr": ["Super appli, simple et rapide, rien à redire.", "Très pratique pour suivre mes colis, bravo à l'équipe.",
           "Enfin une appli bancaire claire. Merci !", "Réservation en deux minutes, parfait."],
    "en": ["Great app, quick and simple, no complaints.", "Really handy for tracking parcels, well done.",
           "Finally a clear banking app. Thanks!", "Booked in two minutes, perfect."],
}
