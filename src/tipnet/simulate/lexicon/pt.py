"""Portuguese phrase banks (same keys and placeholders as the English ones)."""

from __future__ import annotations

DIGITS = ("zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove")
PLUS = "mais"
DOUBLE = "duplo"

ETHNICITY = {
    "latina": "latina",
    "asian": "asiática",
    "east_european": "do leste europeu",
    "african": "africana",
    "caribbean": "caribenha",
    "brazilian": "brasileira",
    "exotic": "exótica",
}

FEMALE_NAMES = (
    "Ana", "Beatriz", "Carolina", "Daniela", "Eduarda", "Fernanda", "Gabriela", "Helena",
    "Isabela", "Joana", "Larissa", "Mariana", "Natália", "Patrícia", "Rafaela", "Sofia",
    "Tatiana", "Vitória", "Yasmin", "Luana",
)  # fmt: skip
MALE_NAMES = (
    "André", "Bruno", "Caio", "Diogo", "Eduardo", "Fábio", "Gustavo", "Henrique", "João",
    "Leonardo", "Marcelo", "Nuno", "Otávio", "Paulo", "Rafael", "Sérgio", "Tiago", "Vítor",
    "Rodrigo", "Miguel",
)  # fmt: skip

SECTORS = {
    "domestic": ("empregada doméstica", "babá", "diarista", "empregada interna"),
    "hospitality": ("garçonete", "recepcionista de hotel", "ajudante de cozinha", "barman"),
    "agriculture": (
        "apanhador de fruta",
        "trabalhador rural",
        "trabalhador de estufa",
        "embalador",
    ),
    "construction": ("pedreiro", "servente de obra", "soldador", "operário da construção"),
    "modelling": ("modelo", "modelo fotográfica", "promotora", "modelo publicitária"),
    "entertainment": ("dançarina", "recepcionista de clube", "cantora", "animadora"),
    "factory": ("operário fabril", "operador de máquinas", "auxiliar de armazém", "embalador"),
    "care": ("cuidadora", "auxiliar de idosos", "técnica de enfermagem", "cuidadora interna"),
    "fishing": ("marinheiro", "pescador", "operário de conservas", "tripulante de pesca"),
    "office": ("assistente administrativo", "contabilista", "vendedor", "técnico de informática"),
}

BANKS: dict[str, tuple[str, ...]] = {
    "ad.title": (
        "{name}, {age} - {city}",
        "{name} em {city}",
        "Doce {name} ({age})",
        "{city}: {name}, {age} anos",
        "Conheça {name} - {city}",
        "{name} disponível agora",
    ),
    "ad.greeting": (
        "Olá cavalheiros!",
        "Oi amor,",
        "Oi gato!",
        "Bem-vindo, querido.",
        "Oi rapazes,",
        "Boa noite cavalheiros.",
    ),
    "ad.intro": (
        "Sou a {name}, tenho {age} anos.",
        "Meu nome é {name}, {age} anos.",
        "{name} aqui, {age}.",
        "Sou {name}, de {age} anos.",
        "Me chamam de {name}, {age} anos.",
    ),
    "ad.ethnicity": (
        "Doce menina {ethnicity}.",
        "Linda mulher {ethnicity}.",
        "Beleza {ethnicity}.",
        "Seu sonho {ethnicity}.",
        "Autêntica {ethnicity}.",
    ),
    "ad.youth": (
        "Novinha e fresquinha {emoji}",
        "Pequena e doce {emoji}",
        "Menina nova na área {emoji}",
        "Bem novinha {emoji}",
        "Mignon e brincalhona {emoji}",
    ),
    "ad.trust": (
        "Fotos 100% reais.",
        "Fotos reais, sem enganação.",
        "Autêntica e verificada, não é golpe.",
        "Minhas fotos são 100% reais.",
        "Sem truques, menina real.",
        "Séria e de confiança.",
    ),
    "ad.movement": (
        "Nova na cidade!",
        "Acabei de chegar em {city}.",
        "Só alguns dias aqui.",
        "De passagem por {city} esta semana.",
        "Em turnê, últimos dias em {city}.",
    ),
    "ad.describe": (
        "Doce, simpática e discreta.",
        "Acompanhante elegante para um momento relaxante.",
        "Namoradinha, muito liberal.",
        "Com classe e divertida, adoro boa companhia.",
        "Sorriso caloroso e pele macia.",
        "Sensual e carinhosa.",
    ),
    "ad.availability": (
        "Disponível 24 horas.",
        "Com local e atendo em hotéis.",
        "Disponível dia e noite.",
        "Aberto todos os dias a partir das 10h.",
        "Apartamento privado, só com local.",
        "Atendo em hotéis.",
    ),
    "ad.price": (
        "{price} {currency} a hora.",
        "A partir de {price} {currency}.",
        "Cachê: {price} {currency}/h.",
        "Presente {price} {currency}.",
    ),
    "ad.contact": (
        "Me liga {phone}",
        "Mensagem ou WhatsApp {phone}",
        "Ligue ou mande mensagem: {phone}",
        "Contato {phone}",
        "Só WhatsApp {phone}",
    ),
    "ad.closing": ("Beijos", "Até breve", "Beijinhos", "Não espere", "Ligue já", "Abraços"),
    "massage.intro": (
        "Massagem profissional em {city}.",
        "Massagem relaxante com {name}.",
        "Massagem oriental e spa.",
        "Massagem completa com óleos e pedras quentes.",
        "Estúdio de massagem no centro de {city}.",
    ),
    "massage.describe": (
        "Sala limpa e tranquila, banho quente.",
        "Sueca, profunda e aromaterapia.",
        "Relaxe depois de um longo dia.",
        "Terapeutas certificadas, toalhas incluídas.",
        "Ambiente calmo, estacionamento grátis.",
    ),
    "job.title": (
        "Procura-se {role} em {job_city}, {job_country}",
        "Vaga: {role} ({job_country})",
        "{role} - trabalhe em {job_country}",
        "Urgente: {role} para {job_city}",
        "Oferta de emprego: {role} em {job_country}",
    ),
    "job.intro": (
        "A {company} está contratando.",
        "Procuramos pessoas motivadas.",
        "Ótima oportunidade com a {company}.",
        "A {company} precisa de pessoal para a nova temporada.",
        "Junte-se à nossa equipe.",
    ),
    "job.role": (
        "Vaga: {role} em {job_city}, {job_country}.",
        "Precisamos de {role} para trabalhar em {job_city}.",
        "Trabalhe como {role} em {job_country}.",
        "Vaga para {role} em {job_city}.",
    ),
    "job.no_experience": (
        "Não é preciso experiência.",
        "Sem experiência nem diploma.",
        "Qualquer pessoa pode se candidatar, formação no local.",
        "Não precisa saber nada, ensinamos tudo.",
    ),
    "job.experience": (
        "Exigidos pelo menos dois anos de experiência.",
        "Experiência e referências obrigatórias.",
        "Experiência em função semelhante é uma vantagem.",
        "Autorização de trabalho válida obrigatória.",
    ),
    "job.pay": (
        "Salário: {salary} {currency} por mês.",
        "Remuneração {salary} {currency}/mês.",
        "Você ganha {salary} {currency} todo mês.",
        "Salário mensal {salary} {currency}.",
    ),
    "job.high_pay": (
        "Ganhe até {salary} {currency} por mês, trabalho fácil!",
        "Salário {salary} {currency} por mês, pago em dinheiro.",
        "Ganhe {salary} {currency} mensais sem stress.",
    ),
    "job.benefits": (
        "Alojamento e refeições incluídos.",
        "Moradia grátis perto do trabalho.",
        "Passagem aérea paga pelo empregador.",
        "Viagem e alojamento pagos.",
        "Férias pagas e seguro de saúde.",
    ),
    "job.visa": (
        "Visto patrocinado.",
        "Tratamos do seu visto e dos papéis.",
        "Visto de trabalho fornecido pela empresa.",
        "Patrocínio de visto disponível.",
    ),
    "job.fee": (
        "Uma taxa de processamento de {fee} {currency} é paga antes da viagem.",
        "Taxa de inscrição {fee} {currency}, paga antecipadamente.",
        "Pague primeiro {fee} {currency} pelo visto e pela passagem.",
        "Pequena taxa de recrutamento de {fee} {currency}.",
    ),
    "job.passport": (
        "O empregador guarda o passaporte por segurança.",
        "O passaporte fica com a empresa durante o contrato.",
        "Entregue o passaporte na chegada, nós guardamos.",
        "Envie já uma cópia do passaporte para reservar a vaga.",
    ),
    "job.legit": (
        "Agência de recrutamento licenciada, licença n.º {licence}.",
        "Nunca cobramos taxas aos candidatos.",
        "Contrato escrito na sua língua antes da viagem.",
        "Empresa registada, entrevistas por videochamada.",
    ),
    "job.contact_app": (
        "Contato só pelo WhatsApp: {phone}",
        "Mande mensagem no Telegram {phone}, sem ligações.",
        "Só WhatsApp {phone}",
        "Fale conosco pelo WhatsApp {phone}",
    ),
    "job.contact": (
        "Candidate-se por e-mail para {email}.",
        "Envie o seu CV para {email} ou ligue {phone}.",
        "Inscreva-se em {website}.",
        "Ligue {phone} de segunda a sexta.",
    ),
    "bio.scout": (
        "Olheiro para agências internacionais.",
        "Agente de modelos, ajudo meninas a começar a carreira.",
        "Recrutador: bons empregos no exterior.",
        "Ajudo pessoas a achar trabalho na Europa e no Golfo.",
        "Diretor de casting, sempre à procura de rostos novos.",
    ),
    "bio.romance": (
        "Procuro amor verdadeiro e um relacionamento sério.",
        "Homem de bom coração, procuro esposa para formar família.",
        "Empresário que viaja o mundo, procuro a minha alma gêmea.",
        "Engenheiro a trabalhar fora, quero conhecer alguém especial.",
    ),
    "bio.offplatform": (
        "Chama no direct ou WhatsApp {phone}",
        "Só interessados, Telegram {phone}",
        "Fale comigo no WhatsApp para detalhes",
        "Manda mensagem, respondo rápido",
    ),
    "bio.self": (
        "Enfermeira, amante de café e de cachorros.",
        "Estudante em {city}.",
        "Mecânico. Futebol aos domingos.",
        "Professora, viajante e cozinheira amadora.",
        "Moro em {city}, trabalho com vendas.",
        "Mãe de dois, adoro trilhas.",
        "Música, livros e boa comida.",
    ),
    "bio.business": (
        "As melhores ofertas em {city}! Peça já.",
        "Seguidores e curtidas baratos, entrega rápida.",
        "Salão de beleza em {city}, agende hoje.",
        "Conserto de celulares e acessórios, {city}.",
    ),
    "bio.agency": (
        "Agência de recrutamento licenciada. Empregos no exterior, sem taxas.",
        "Agência de emprego registada: trabalho legal no exterior, contrato por escrito.",
    ),
    "msg.flattery": (
        "Oi querida, você é muito linda, vi suas fotos.",
        "Olá amor, seu sorriso é lindo.",
        "Oi, dá para ver que você é trabalhadora e muito bonita.",
        "Oi amiga, você parece modelo.",
    ),
    "msg.offer": (
        "Tenho um emprego muito bom para você em {job_country}, {salary} {currency} por mês.",
        "Minha agência precisa de meninas para trabalhar como modelo em {job_country}.",
        "Tem trabalho num hotel em {job_city}, bom dinheiro, eu te ajudo.",
        "Posso te levar para {job_country}, você vai ter uma vida melhor comigo.",
    ),
    "msg.offplatform": (
        "Vamos falar no WhatsApp, me adiciona {phone}",
        "Este app não é seguro, me chama no Telegram {phone}",
        "Me liga no WhatsApp {phone}, é mais fácil.",
        "Me escreve aqui: {phone}, estou sempre online.",
    ),
    "msg.request": (
        "Me manda uma cópia do seu passaporte para eu preparar o visto.",
        "Me manda umas fotos de corpo inteiro para a agência.",
        "Você só precisa pagar {fee} {currency} da passagem, eu pago o resto.",
        "Manda suas fotos e documento hoje, restam poucas vagas.",
    ),
    "msg.travel": (
        "Eu compro sua passagem, você viaja semana que vem.",
        "Meu amigo vai te buscar no aeroporto de {job_city}.",
        "Não conta nada para sua família ainda, é surpresa.",
        "Leve pouca bagagem, lá te dão tudo.",
    ),
    "msg.chat": (
        "Ainda vamos nos ver no sábado?",
        "Feliz aniversário! Tenha um ótimo dia.",
        "Viu o jogo ontem?",
        "Pode me mandar a receita?",
        "Vou me atrasar, te vejo às 7.",
        "Obrigado pelas fotos da viagem!",
        "Como está sua mãe?",
    ),
    "msg.spam": (
        "Grande promoção só esta semana! Ligue {phone}",
        "1000 seguidores por 5 {currency}. WhatsApp {phone}",
        "Empréstimo aprovado em 24h, sem perguntas. Ligue {phone}",
        "Capinhas de celular baratas, entrega grátis em {city}. Mensagem {phone}",
    ),
    "msg.recruiter": (
        "Olá, analisámos o seu CV. Marque uma entrevista em {website}.",
        "Caro candidato, a {company} tem vagas em {job_country}. Não cobramos taxas.",
        "Obrigado pelo interesse. O nosso escritório em {city} atende pelo {phone}.",
    ),
    "msg.hotline": (
        "Se você ou alguém que conhece é forçado a trabalhar, ligue para a linha de ajuda {phone}.",
        "Precisa de ajuda? Linha confidencial {phone}, 24 horas.",
    ),
}
