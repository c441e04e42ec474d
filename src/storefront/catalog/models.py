from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.core.database import Base, Timestamped


class Category(Timestamped, Base):
    __tablename__ = "categories"

    category_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
