"""English phrase banks. Every entry of a bank says the same thing in other words: a template
picks one, and variation swaps it for another. Placeholders are filled by the text writer."""

from __future__ import annotations

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PLUS = "plus"
DOUBLE = "double"

ETHNICITY = {
    "latina": "Latina",
    "asian": "Asian",
    "east_european": "Eastern European",
    "african": "African",
    "caribbean": "Caribbean",
    "brazilian": "Brazilian",
    "exotic": "exotic",
}

FEMALE_NAMES = (
    "Anna", "Bella", "Carla", "Daisy", "Elena", "Fiona", "Gina", "Holly", "Iris", "Jade",
    "Kira", "Luna", "Maya", "Nina", "Olivia", "Paula", "Rosa", "Sara", "Tina", "Vera",
)  # fmt: skip
MALE_NAMES = (
    "Adam", "Ben", "Carlos", "David", "Erik", "Frank", "George", "Hugo", "Ivan", "Jack",
    "Kevin", "Leo", "Marco", "Nick", "Oscar", "Paul", "Ryan", "Sam", "Tom", "Victor",
)  # fmt: skip

SECTORS = {
    "domestic": ("housekeeper", "nanny", "domestic helper", "live-in maid"),
    "hospitality": ("waitress", "hotel receptionist", "kitchen helper", "bartender"),
    "agriculture": ("fruit picker", "farm worker", "greenhouse worker", "packer"),
    "construction": ("construction worker", "bricklayer", "general labourer", "welder"),
    "modelling": ("fashion model", "promotional model", "photo model", "brand ambassador"),
    "entertainment": ("dancer", "club hostess", "singer", "entertainer"),
    "factory": ("factory worker", "machine operator", "warehouse picker", "packaging worker"),
    "care": ("caregiver", "elderly care assistant", "nurse aide", "home carer"),
    "fishing": ("fishing crew", "deckhand", "fish processing worker", "boat crew"),
    "office": ("office assistant", "accountant", "sales representative", "IT support"),
}

BANKS: dict[str, tuple[str, ...]] = {
    # --- adult-service and massage ads -------------------------------------------------------
    "ad.title": (
        "{name}, {age} - {city}",
        "{name} in {city}",
        "Sweet {name} ({age})",
        "{city}: {name}, {age}",
        "Meet {name} - {city}",
        "{name} available now",
    ),
    "ad.greeting": (
        "Hi gentlemen!",
        "Hello darling,",
        "Hey there!",
        "Welcome, love.",
        "Hi guys,",
        "Good evening gentlemen.",
    ),
    "ad.intro": (
        "I'm {name}, {age} years old.",
        "My name is {name}, I am {age}.",
        "{name} here, {age}.",
        "I am {name}, {age} yrs.",
        "They call me {name}, age {age}.",
    ),
    "ad.ethnicity": (
        "Sweet {ethnicity} girl.",
        "Beautiful {ethnicity} lady.",
        "Hot {ethnicity} beauty.",
        "Your {ethnicity} dream.",
        "Real {ethnicity} girl.",
    ),
    "ad.youth": (
        "Young and fresh {emoji}",
        "Petite and sweet {emoji}",
        "Fresh new girl {emoji}",
        "Very young looking {emoji}",
        "Tiny and playful {emoji}",
    ),
    "ad.trust": (
        "100% real pics.",
        "Real photos, no fakes.",
        "Genuine and verified, not a scam.",
        "My pictures are 100% real.",
        "No tricks, no games, real girl.",
        "Trusted and reliable.",
    ),
    "ad.movement": (
        "New in town!",
        "Just arrived in {city}.",
        "Only here for a few days.",
        "Visiting {city} this week.",
        "On tour, last days in {city}.",
    ),
    "ad.describe": (
        "Sweet, friendly and discreet.",
        "Elegant companion for a relaxing time.",
        "Girlfriend experience, very open-minded.",
        "Classy and fun, I love good company.",
        "Warm smile and soft skin.",
        "Sensual and caring.",
    ),
    "ad.availability": (
        "Available 24/7.",
        "Incall and outcall.",
        "Available day and night.",
        "Open every day from 10am.",
        "Private apartment, incall only.",
        "Outcall to hotels.",
    ),
    "ad.price": (
        "{price} {currency} per hour.",
        "From {price} {currency}.",
        "Rates: {price} {currency}/h.",
        "Donation {price} {currency}.",
    ),
    "ad.contact": (
        "Call me {phone}",
        "Text or WhatsApp {phone}",
        "Call or text: {phone}",
        "Contact {phone}",
        "Only WhatsApp {phone}",
    ),
    "ad.closing": ("Kisses", "See you soon", "xoxo", "Don't wait", "Call now", "Hugs"),
    "massage.intro": (
        "Professional massage in {city}.",
        "Relaxing body massage by {name}.",
        "Asian style massage and spa.",
        "Full body massage, oils and hot stones.",
        "Massage studio in central {city}.",
    ),
    "massage.describe": (
        "Clean and quiet room, hot shower.",
        "Swedish, deep tissue and aromatherapy.",
        "Relax after a long day of work.",
        "Certified therapists, towels provided.",
        "Calm atmosphere, free parking.",
    ),
    # --- job offers ------------------------------------------------------------------------
    "job.title": (
        "{role} wanted in {job_city}, {job_country}",
        "Hiring: {role} ({job_country})",
        "{role} - work in {job_country}",
        "Urgent: {role} for {job_city}",
        "Job offer: {role} in {job_country}",
    ),
    "job.intro": (
        "{company} is hiring.",
        "We are looking for motivated people.",
        "Great opportunity with {company}.",
        "{company} needs staff for a new season.",
        "Join our team.",
    ),
    "job.role": (
        "Position: {role} in {job_city}, {job_country}.",
        "We need a {role} to work in {job_city}.",
        "Work as {role} in {job_country}.",
        "Vacancy for {role}, based in {job_city}.",
    ),
    "job.no_experience": (
        "No experience needed.",
        "No experience or diploma required.",
        "Anyone can apply, training on the job.",
        "No skills needed, we teach you everything.",
    ),
    "job.experience": (
        "At least two years of experience required.",
        "Relevant experience and references required.",
        "Experience in a similar role is an advantage.",
        "Basic English and a valid work permit needed.",
    ),
    "job.pay": (
        "Salary: {salary} {currency} per month.",
        "Pay {salary} {currency}/month.",
        "You earn {salary} {currency} every month.",
        "Monthly salary {salary} {currency}.",
    ),
    "job.high_pay": (
        "Earn up to {salary} {currency} per month, easy work!",
        "Salary {salary} {currency} a month, paid cash.",
        "Make {salary} {currency} monthly, no stress.",
    ),
    "job.benefits": (
        "Accommodation and meals provided.",
        "Free housing near the workplace.",
        "Flight ticket paid by the employer.",
        "Travel and accommodation paid.",
        "Paid holidays and health insurance.",
    ),
    "job.visa": (
        "Visa sponsored.",
        "We take care of your visa and papers.",
        "Work visa provided by the company.",
        "Visa sponsorship available.",
    ),
    "job.fee": (
        "A processing fee of {fee} {currency} is paid before travel.",
        "Registration fee {fee} {currency}, paid in advance.",
        "Pay {fee} {currency} for the visa and ticket first.",
        "Small recruitment fee of {fee} {currency} required.",
    ),
    "job.passport": (
        "The employer keeps your passport for safety.",
        "Passport will be held by the company during the contract.",
        "Hand in your passport on arrival, we keep it for you.",
        "Send a copy of your passport now to reserve your place.",
    ),
    "job.legit": (
        "Licensed recruitment agency, licence no. {licence}.",
        "We never charge fees to candidates.",
        "Written contract in your language before you travel.",
        "Registered company, interviews by video call.",
    ),
    "job.contact_app": (
        "Contact only by WhatsApp: {phone}",
        "Send a message on Telegram {phone}, no calls.",
        "WhatsApp only {phone}",
        "Write to us on WhatsApp {phone}",
    ),
    "job.contact": (
        "Apply by email to {email}.",
        "Send your CV to {email} or call {phone}.",
        "Apply online at {website}.",
        "Call {phone} from Monday to Friday.",
    ),
    # --- profile bios ----------------------------------------------------------------------
    "bio.scout": (
        "Model scout for international agencies.",
        "Talent agent, I help girls start a modelling career.",
        "Recruiter: good jobs abroad for hard workers.",
        "Helping people find work in Europe and the Gulf.",
        "Casting director, always looking for new faces.",
    ),
    "bio.romance": (
        "Looking for true love and a serious relationship.",
        "Kind-hearted, looking for a wife to start a family.",
        "Businessman travelling the world, looking for my soulmate.",
        "Engineer working abroad, want to meet someone special.",
    ),
    "bio.offplatform": (
        "DM me or WhatsApp {phone}",
        "Serious inquiries on Telegram {phone}",
        "Contact me on WhatsApp for details",
        "Message me, I reply fast",
    ),
    "bio.self": (
        "Nurse, coffee lover and dog mom.",
        "Student in {city}.",
        "Mechanic. Football on Sundays.",
        "Teacher, traveller, amateur cook.",
        "Living in {city}, working in sales.",
        "Mum of two, love hiking.",
        "Music, books and good food.",
    ),
    "bio.business": (
        "Best deals in {city}! Order now.",
        "Cheap followers and likes, fast delivery.",
        "Beauty salon in {city}, book today.",
        "Phone repair and accessories, {city}.",
    ),
    "bio.agency": (
        "Licensed recruitment agency. Jobs abroad, no fees.",
        "Registered recruitment agency: legal jobs abroad, written contracts.",
    ),
    # --- messages ---------------------------------------------------------------------------
    "msg.flattery": (
        "Hi dear, you are so beautiful, I saw your pictures.",
        "Hello sweetheart, your smile is amazing.",
        "Hi, I can see you are a hard worker and very pretty.",
        "Hello my friend, you look like a model.",
    ),
    "msg.offer": (
        "I have a very good job for you in {job_country}, {salary} {currency} a month.",
        "My agency needs girls for modelling in {job_country}.",
        "There is work in a hotel in {job_city}, good money, I can help you.",
        "I can take you to {job_country}, you will have a better life with me.",
    ),
    "msg.offplatform": (
        "Let's talk on WhatsApp, add me {phone}",
        "This app is not safe, message me on Telegram {phone}",
        "Call me on WhatsApp {phone}, it is easier.",
        "Write me here: {phone}, I am always online.",
    ),
    "msg.request": (
        "Send me a copy of your passport so I can prepare the visa.",
        "Send me some photos, full body, for the agency.",
        "You only need to pay {fee} {currency} for the ticket, I pay the rest.",
        "Send your photos and ID today, the place is almost full.",
    ),
    "msg.travel": (
        "I will buy your ticket, you travel next week.",
        "My friend will meet you at the airport in {job_city}.",
        "Don't tell your family yet, it is a surprise.",
        "Pack light, everything is provided there.",
    ),
    "msg.chat": (
        "Are we still meeting on Saturday?",
        "Happy birthday! Have a great day.",
        "Did you see the match yesterday?",
        "Can you send me the recipe?",
        "I'm running late, see you at 7.",
        "Thanks for the photos from the trip!",
        "How is your mother doing?",
    ),
    "msg.spam": (
        "Big sale this week only! Call {phone}",
        "Get 1000 followers for 5 {currency}. WhatsApp {phone}",
        "Loans approved in 24h, no questions. Call {phone}",
        "Cheap phone cases, free delivery in {city}. Text {phone}",
    ),
    "msg.recruiter": (
        "Hello, we reviewed your CV. Please apply on {website} to book an interview.",
        "Dear candidate, {company} has openings in {job_country}. No fees are charged.",
        "Thank you for your interest. Our office in {city} can answer at {phone}.",
    ),
    "msg.hotline": (
        "If you or someone you know is forced to work, call the helpline {phone}.",
        "Need help? Confidential helpline {phone}, 24/7.",
    ),
}
