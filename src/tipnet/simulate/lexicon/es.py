"""Spanish phrase banks (same keys and placeholders as the English ones)."""

from __future__ import annotations

DIGITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
PLUS = "más"
DOUBLE = "doble"

ETHNICITY = {
    "latina": "latina",
    "asian": "asiática",
    "east_european": "europea del este",
    "african": "africana",
    "caribbean": "caribeña",
    "brazilian": "brasileña",
    "exotic": "exótica",
}

FEMALE_NAMES = (
    "Ana", "Beatriz", "Camila", "Daniela", "Elena", "Fernanda", "Gabriela", "Inés", "Julia",
    "Karen", "Lucía", "María", "Natalia", "Paola", "Rocío", "Sofía", "Tatiana", "Valeria",
    "Ximena", "Yolanda",
)  # fmt: skip
MALE_NAMES = (
    "Alberto", "Bruno", "Carlos", "Diego", "Emilio", "Felipe", "Gustavo", "Hugo", "Javier",
    "Luis", "Manuel", "Nicolás", "Óscar", "Pablo", "Raúl", "Santiago", "Tomás", "Víctor",
    "Andrés", "Jorge",
)  # fmt: skip

SECTORS = {
    "domestic": ("empleada doméstica", "niñera", "interna", "limpiadora"),
    "hospitality": ("camarera", "recepcionista de hotel", "ayudante de cocina", "bartender"),
    "agriculture": (
        "recolector de fruta",
        "peón agrícola",
        "trabajador de invernadero",
        "envasador",
    ),
    "construction": ("albañil", "peón de obra", "soldador", "obrero de construcción"),
    "modelling": ("modelo", "modelo de fotos", "azafata de imagen", "modelo publicitaria"),
    "entertainment": ("bailarina", "anfitriona de club", "cantante", "animadora"),
    "factory": ("operario de fábrica", "operador de máquinas", "mozo de almacén", "empaquetador"),
    "care": ("cuidadora", "auxiliar geriátrica", "asistente de enfermería", "cuidadora interna"),
    "fishing": ("marinero", "tripulante de pesca", "operario de procesado de pescado", "pescador"),
    "office": ("auxiliar administrativo", "contable", "comercial", "técnico informático"),
}

BANKS: dict[str, tuple[str, ...]] = {
    "ad.title": (
        "{name}, {age} - {city}",
        "{name} en {city}",
        "Dulce {name} ({age})",
        "{city}: {name}, {age} años",
        "Conoce a {name} - {city}",
        "{name} disponible ya",
    ),
    "ad.greeting": (
        "¡Hola caballeros!",
        "Hola cariño,",
        "¡Hola guapo!",
        "Bienvenido, amor.",
        "Hola chicos,",
        "Buenas noches caballeros.",
    ),
    "ad.intro": (
        "Soy {name}, tengo {age} años.",
        "Me llamo {name}, {age} años.",
        "{name} aquí, {age}.",
        "Soy {name}, de {age} años.",
        "Me llaman {name}, edad {age}.",
    ),
    "ad.ethnicity": (
        "Dulce chica {ethnicity}.",
        "Preciosa mujer {ethnicity}.",
        "Belleza {ethnicity}.",
        "Tu sueño {ethnicity}.",
        "Auténtica chica {ethnicity}.",
    ),
    "ad.youth": (
        "Jovencita y fresca {emoji}",
        "Pequeñita y dulce {emoji}",
        "Chica nueva y fresca {emoji}",
        "Muy jovencita {emoji}",
        "Menudita y juguetona {emoji}",
    ),
    "ad.trust": (
        "Fotos 100% reales.",
        "Fotos reales, sin engaños.",
        "Auténtica y verificada, no es estafa.",
        "Mis fotos son 100% reales.",
        "Sin trucos, chica real.",
        "Seria y de confianza.",
    ),
    "ad.movement": (
        "¡Nueva en la ciudad!",
        "Recién llegada a {city}.",
        "Solo unos días aquí.",
        "De visita en {city} esta semana.",
        "De gira, últimos días en {city}.",
    ),
    "ad.describe": (
        "Dulce, simpática y discreta.",
        "Acompañante elegante para un rato relajado.",
        "Trato de novia, muy abierta.",
        "Con clase y divertida, me encanta la buena compañía.",
        "Sonrisa cálida y piel suave.",
        "Sensual y cariñosa.",
    ),
    "ad.availability": (
        "Disponible 24 horas.",
        "Piso propio y salidas.",
        "Disponible día y noche.",
        "Abierto todos los días desde las 10.",
        "Piso privado, solo en mi casa.",
        "Salidas a hoteles.",
    ),
    "ad.price": (
        "{price} {currency} la hora.",
        "Desde {price} {currency}.",
        "Tarifa: {price} {currency}/h.",
        "Donativo {price} {currency}.",
    ),
    "ad.contact": (
        "Llámame al {phone}",
        "Mensaje o WhatsApp {phone}",
        "Llama o escribe: {phone}",
        "Contacto {phone}",
        "Solo WhatsApp {phone}",
    ),
    "ad.closing": ("Besos", "Hasta pronto", "Besitos", "No esperes", "Llama ya", "Abrazos"),
    "massage.intro": (
        "Masaje profesional en {city}.",
        "Masaje corporal relajante con {name}.",
        "Masaje asiático y spa.",
        "Masaje completo con aceites y piedras calientes.",
        "Centro de masajes en el centro de {city}.",
    ),
    "massage.describe": (
        "Sala limpia y tranquila, ducha caliente.",
        "Sueco, descontracturante y aromaterapia.",
        "Relájate después de un largo día.",
        "Terapeutas titulados, toallas incluidas.",
        "Ambiente tranquilo, aparcamiento gratis.",
    ),
    "job.title": (
        "Se busca {role} en {job_city}, {job_country}",
        "Oferta: {role} ({job_country})",
        "{role} - trabaja en {job_country}",
        "Urgente: {role} para {job_city}",
        "Empleo: {role} en {job_country}",
    ),
    "job.intro": (
        "{company} está contratando.",
        "Buscamos personas con ganas de trabajar.",
        "Gran oportunidad con {company}.",
        "{company} necesita personal para la nueva temporada.",
        "Únete a nuestro equipo.",
    ),
    "job.role": (
        "Puesto: {role} en {job_city}, {job_country}.",
        "Necesitamos {role} para trabajar en {job_city}.",
        "Trabaja como {role} en {job_country}.",
        "Vacante de {role} en {job_city}.",
    ),
    "job.no_experience": (
        "No se necesita experiencia.",
        "Sin experiencia ni estudios.",
        "Cualquiera puede aplicar, formación en el puesto.",
        "No hace falta saber nada, te enseñamos todo.",
    ),
    "job.experience": (
        "Se requieren al menos dos años de experiencia.",
        "Experiencia y referencias necesarias.",
        "Se valora experiencia en un puesto similar.",
        "Permiso de trabajo vigente obligatorio.",
    ),
    "job.pay": (
        "Salario: {salary} {currency} al mes.",
        "Sueldo {salary} {currency}/mes.",
        "Ganas {salary} {currency} cada mes.",
        "Salario mensual {salary} {currency}.",
    ),
    "job.high_pay": (
        "¡Gana hasta {salary} {currency} al mes, trabajo fácil!",
        "Sueldo {salary} {currency} al mes, pago en efectivo.",
        "Gana {salary} {currency} mensuales sin estrés.",
    ),
    "job.benefits": (
        "Alojamiento y comida incluidos.",
        "Vivienda gratis cerca del trabajo.",
        "Billete de avión pagado por el empleador.",
        "Viaje y alojamiento pagados.",
        "Vacaciones pagadas y seguro médico.",
    ),
    "job.visa": (
        "Visa patrocinada.",
        "Nos encargamos de tu visa y papeles.",
        "La empresa tramita el visado de trabajo.",
        "Patrocinio de visa disponible.",
    ),
    "job.fee": (
        "Se paga una tasa de tramitación de {fee} {currency} antes del viaje.",
        "Cuota de inscripción {fee} {currency}, por adelantado.",
        "Primero paga {fee} {currency} por la visa y el billete.",
        "Pequeña tasa de reclutamiento de {fee} {currency}.",
    ),
    "job.passport": (
        "El empleador guarda el pasaporte por seguridad.",
        "La empresa conservará tu pasaporte durante el contrato.",
        "Entrega tu pasaporte al llegar, nosotros lo guardamos.",
        "Envía ya una copia del pasaporte para reservar tu plaza.",
    ),
    "job.legit": (
        "Agencia de colocación autorizada, licencia n.º {licence}.",
        "Nunca cobramos a los candidatos.",
        "Contrato por escrito en tu idioma antes de viajar.",
        "Empresa registrada, entrevistas por videollamada.",
    ),
    "job.contact_app": (
        "Contacto solo por WhatsApp: {phone}",
        "Escribe por Telegram al {phone}, no llamadas.",
        "Solo WhatsApp {phone}",
        "Escríbenos por WhatsApp al {phone}",
    ),
    "job.contact": (
        "Envía tu solicitud a {email}.",
        "Manda tu CV a {email} o llama al {phone}.",
        "Inscríbete en {website}.",
        "Llama al {phone} de lunes a viernes.",
    ),
    "bio.scout": (
        "Cazatalentos para agencias internacionales.",
        "Agente de modelos, ayudo a chicas a empezar su carrera.",
        "Reclutador: buenos trabajos en el extranjero.",
        "Ayudo a encontrar trabajo en Europa y el Golfo.",
        "Director de casting, siempre busco caras nuevas.",
    ),
    "bio.romance": (
        "Busco amor verdadero y una relación seria.",
        "Buen corazón, busco esposa para formar una familia.",
        "Empresario que viaja por el mundo, busco a mi alma gemela.",
        "Ingeniero trabajando fuera, quiero conocer a alguien especial.",
    ),
    "bio.offplatform": (
        "Escríbeme o WhatsApp {phone}",
        "Solo interesados, Telegram {phone}",
        "Contáctame por WhatsApp para más info",
        "Mándame mensaje, respondo rápido",
    ),
    "bio.self": (
        "Enfermera, amante del café y de los perros.",
        "Estudiante en {city}.",
        "Mecánico. Fútbol los domingos.",
        "Profesora, viajera y cocinera aficionada.",
        "Vivo en {city}, trabajo en ventas.",
        "Mamá de dos, me encanta el senderismo.",
        "Música, libros y buena comida.",
    ),
    "bio.business": (
        "¡Las mejores ofertas en {city}! Pide ya.",
        "Seguidores y likes baratos, entrega rápida.",
        "Salón de belleza en {city}, reserva hoy.",
        "Reparación de móviles y accesorios, {city}.",
    ),
    "bio.agency": (
        "Agencia de colocación autorizada. Empleo en el extranjero, sin cuotas.",
        "Agencia de empleo registrada: trabajos legales en el extranjero, contrato por escrito.",
    ),
    "msg.flattery": (
        "Hola querida, eres muy guapa, vi tus fotos.",
        "Hola cariño, tu sonrisa es preciosa.",
        "Hola, se ve que eres trabajadora y muy bonita.",
        "Hola amiga, pareces modelo.",
    ),
    "msg.offer": (
        "Tengo un trabajo muy bueno para ti en {job_country}, {salary} {currency} al mes.",
        "Mi agencia necesita chicas para trabajar de modelo en {job_country}.",
        "Hay trabajo en un hotel en {job_city}, buen dinero, yo te ayudo.",
        "Te puedo llevar a {job_country}, tendrás una vida mejor conmigo.",
    ),
    "msg.offplatform": (
        "Hablemos por WhatsApp, agrégame {phone}",
        "Esta app no es segura, escríbeme a Telegram {phone}",
        "Llámame por WhatsApp al {phone}, es más fácil.",
        "Escríbeme aquí: {phone}, siempre estoy conectado.",
    ),
    "msg.request": (
        "Mándame una copia de tu pasaporte para preparar la visa.",
        "Envíame unas fotos de cuerpo entero para la agencia.",
        "Solo tienes que pagar {fee} {currency} del billete, yo pago el resto.",
        "Manda tus fotos y tu documento hoy, quedan pocas plazas.",
    ),
    "msg.travel": (
        "Te compro el billete, viajas la semana que viene.",
        "Mi amigo te recoge en el aeropuerto de {job_city}.",
        "No le digas nada a tu familia todavía, es una sorpresa.",
        "Lleva poco equipaje, allí te dan todo.",
    ),
    "msg.chat": (
        "¿Seguimos quedando el sábado?",
        "¡Feliz cumpleaños! Que pases un gran día.",
        "¿Viste el partido de ayer?",
        "¿Me pasas la receta?",
        "Llego tarde, nos vemos a las 7.",
        "¡Gracias por las fotos del viaje!",
        "¿Cómo está tu madre?",
    ),
    "msg.spam": (
        "¡Gran oferta solo esta semana! Llama al {phone}",
        "1000 seguidores por 5 {currency}. WhatsApp {phone}",
        "Préstamos aprobados en 24h, sin preguntas. Llama {phone}",
        "Fundas de móvil baratas, envío gratis en {city}. Escribe al {phone}",
    ),
    "msg.recruiter": (
        "Hola, revisamos tu CV. Solicita una entrevista en {website}.",
        "Estimado candidato, {company} tiene vacantes en {job_country}. No cobramos nada.",
        "Gracias por tu interés. Nuestra oficina en {city} atiende en el {phone}.",
    ),
    "msg.hotline": (
        "Si tú o alguien que conoces es obligado a trabajar, llama a la línea de ayuda {phone}.",
        "¿Necesitas ayuda? Línea confidencial {phone}, 24 horas.",
    ),
}
