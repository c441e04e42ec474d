"""Word lists for the demo catalog: per leaf category, its brands, product nouns, price range."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Leaf:
    category_id: str
    name: str
    brands: tuple[str, ...]
    nouns: tuple[str, ...]
    price_range: tuple[int, int]


TOP_LEVEL = (
    ("C100", "Clothing"),
    ("C200", "Grocery"),
    ("C300", "Electronics"),
    ("C400", "Home & Kitchen"),
    ("C500", "Books"),
    ("C600", "Beauty & Personal Care"),
    ("C700", "Sports & Outdoors"),
    ("C800", "Toys & Games"),
)

LEAVES = (
    Leaf(
        "C110",
        "Men's Clothing",
        ("Northwind", "Urban Loom", "Raymond Row"),
        ("Shirt", "Chinos", "Polo", "Jacket", "Kurta", "Jeans"),
        (399, 4999),
    ),
    Leaf(
        "C120",
        "Women's Clothing",
        ("Saffron Lane", "Urban Loom", "Mira & Co"),
        ("Dress", "Saree", "Top", "Cardigan", "Kurti", "Skirt"),
        (449, 7999),
    ),
    Leaf(
        "C130",
        "Kids' Clothing",
        ("Little Sprout", "Tiny Tales"),
        ("Romper", "T-Shirt", "Dungarees", "Hoodie"),
        (199, 1999),
    ),
    Leaf(
        "C210",
        "Fruits & Vegetables",
        ("FarmFresh", "Green Basket"),
        ("Apples", "Bananas", "Tomatoes", "Spinach", "Mangoes"),
        (29, 399),
    ),
    Leaf(
        "C220",
        "Snacks",
        ("Crunchy Co", "Masala Magic", "Nutty Farms"),
        ("Chips", "Almonds", "Cookies", "Namkeen", "Granola Bars"),
        (20, 899),
    ),
    Leaf(
        "C230",
        "Beverages",
        ("Chai Point", "Blue Tokai", "Fizzco"),
        ("Green Tea", "Coffee Beans", "Orange Juice", "Cold Brew"),
        (49, 1499),
    ),
    Leaf(
        "C310",
        "Mobiles",
        ("Zentro", "Novaphone", "Kairo"),
        ("Smartphone", "Phone Case", "Charger", "Power Bank"),
        (299, 79999),
    ),
    Leaf(
        "C320",
        "Laptops",
        ("Zentro", "Axiom", "Lumina"),
        ("Laptop", "Ultrabook", "Laptop Stand", "Laptop Sleeve"),
        (599, 149999),
    ),
    Leaf(
        "C330",
        "Audio",
        ("Sonique", "BassLine", "Kairo"),
        ("Headphones", "Earbuds", "Bluetooth Speaker", "Soundbar"),
        (499, 29999),
    ),
    Leaf(
        "C410",
        "Cookware",
        ("Prestige Hearth", "IronLeaf", "Copper Kitchen"),
        ("Kettle", "Pressure Cooker", "Frying Pan", "Kadai", "Tawa"),
        (299, 6999),
    ),
    Leaf(
        "C420",
        "Furniture",
        ("Woodcraft", "Nest & Nook"),
        ("Bookshelf", "Study Table", "Armchair", "Shoe Rack"),
        (1499, 39999),
    ),
    Leaf(
        "C430",
        "Decor",
        ("Nest & Nook", "Lumen Home"),
        ("Table Lamp", "Wall Clock", "Cushion Cover", "Vase"),
        (199, 4999),
    ),
    Leaf(
        "C510",
        "Fiction",
        ("Penguin Leaf", "Harbour Books"),
        ("Novel", "Short Stories", "Thriller", "Mystery"),
        (149, 999),
    ),
    Leaf(
        "C520",
        "Non-fiction",
        ("Harbour Books", "Scholar Press"),
        ("Biography", "Cookbook", "History", "Guide"),
        (199, 1499),
    ),
    Leaf(
        "C530",
        "Children's Books",
        ("Tiny Tales", "Penguin Leaf"),
        ("Picture Book", "Activity Book", "Storybook"),
        (99, 699),
    ),
    Leaf(
        "C610",
        "Skincare",
        ("Ayur Glow", "Dermacare", "Petal"),
        ("Face Wash", "Moisturiser", "Sunscreen", "Serum"),
        (149, 2499),
    ),
    Leaf(
        "C620",
        "Haircare",
        ("Ayur Glow", "Silken"),
        ("Shampoo", "Conditioner", "Hair Oil", "Hair Mask"),
        (99, 1499),
    ),
    Leaf(
        "C630",
        "Fragrances",
        ("Petal", "Oud House"),
        ("Perfume", "Deodorant", "Body Mist", "Attar"),
        (199, 5999),
    ),
    Leaf(
        "C710",
        "Fitness",
        ("FlexFit", "Stride"),
        ("Yoga Mat", "Dumbbells", "Resistance Band", "Skipping Rope"),
        (199, 9999),
    ),
    Leaf(
        "C720",
        "Camping",
        ("Trailhead", "Summit Gear"),
        ("Tent", "Sleeping Bag", "Backpack", "Headlamp"),
        (399, 19999),
    ),
    Leaf(
        "C730",
        "Cycling",
        ("Velo", "Stride"),
        ("Helmet", "Bicycle", "Cycling Gloves", "Bike Light"),
        (299, 34999),
    ),
    Leaf(
        "C810",
        "Board Games",
        ("Funskool Play", "Meeple Works"),
        ("Chess Set", "Board Game", "Card Game", "Carrom Board"),
        (199, 3999),
    ),
    Leaf(
        "C820",
        "Puzzles",
        ("Meeple Works", "Brainy"),
        ("Jigsaw Puzzle", "Rubik Cube", "3D Puzzle"),
        (149, 2499),
    ),
    Leaf(
        "C830",
        "Action Figures",
        ("Herocraft", "Funskool Play"),
        ("Action Figure", "Robot Toy", "Die-cast Car"),
        (199, 4999),
    ),
)

ADJECTIVES = (
    "Classic",
    "Premium",
    "Everyday",
    "Organic",
    "Deluxe",
    "Compact",
    "Eco",
    "Pro",
    "Essential",
    "Vintage",
    "Modern",
    "Handcrafted",
    "Lightweight",
    "Heritage",
    "Smart",
)
MATERIALS = (
    "Cotton",
    "Linen",
    "Steel",
    "Bamboo",
    "Leather",
    "Wooden",
    "Ceramic",
    "Wool",
    "Recycled",
    "Matte",
    "Glass",
    "Silk",
)
COLOURS = (
    "Black",
    "White",
    "Indigo",
    "Olive",
    "Maroon",
    "Teal",
    "Mustard",
    "Grey",
    "Coral",
    "Navy",
)
OPENINGS = (
    "Made for daily use, this {noun} by {brand} combines {quality} design with lasting comfort.",
    "The {brand} {noun} is a {quality} choice loved by families across the country.",
    "A {quality} {noun} from {brand}, built to last and easy to care for.",
    "Upgrade your routine with the {quality} {noun} from {brand}.",
)
DETAILS = (
    "It comes in a {colour} finish that suits any setting.",
    "Carefully checked for quality before it leaves our warehouse.",
    "Backed by a one-year warranty and free returns within 30 days.",
    "Ideal as a gift for birthdays, weddings and festivals.",
    "Customers praise its value for money and reliable performance.",
    "Ships in plastic-free packaging.",
)
