"""Korean / Spanish SFT: seed imports (XQuAD es, ChatbotData, legal documents) + engine instructions and translations."""
